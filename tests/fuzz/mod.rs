//! What the two fuzzers share (tests/fuzz_server.rs drives a server inside the test process,
//! tests/fuzz_wire.rs the faissx-server binary): message files, the corpus of valid requests,
//! the indexes every run keeps under known names, the generator and mutator of requests, and
//! a client that tells a reply, a dropped connection and silence apart.
//!
//! Randomness is a seeded ChaCha8 stream (rand + rand_chacha) feeding a hand-written generator
//! rather than `arbitrary`: the protocol types carry no `Arbitrary` derive, and what finds bugs
//! is not any value of a type but requests whose names, dimensions and shapes reach the server's
//! real indexes, with boundary values picked on purpose. Nothing the server answers feeds back
//! into the generator, so a seed names one sequence of messages.
//!
//! Message files (corpus entries, reproducers) hold messages back to back: a u32 LE frame
//! count, then each frame as a u32 LE length and its bytes.
#![allow(dead_code)]

use faissx::ffi::types::*;
use faissx::local::index::{LocalIndex, RawIndex};
use faissx::protocol::*;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rmpv::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One multipart message, header first.
pub type Message = Vec<Vec<u8>>;

/// The servers under fuzzing refuse frames above this (`--max-message-mb 1`): small enough that
/// a mutation can cross it, so the dropped-connection path is exercised too.
pub const MAX_FRAME: usize = 1 << 20;
/// Dimension of the float indexes the fuzzers keep, and bits of the binary ones.
pub const D: usize = 8;
pub const BINARY_D: usize = 64;
/// The tenant of the canary index, which no generated request names: its answers never change.
pub const CANARY_TENANT: &str = "fuzz-canary";
/// Tenants generated requests act in ("default" is the namespace of requests that name none).
pub const TENANTS: [&str; 2] = ["default", "other"];
/// A failing request only has to be answered; a legitimate one of the sizes generated here
/// takes milliseconds. Past `SLOW` a request is reported, past `HANG` the run fails.
pub const SLOW: Duration = Duration::from_secs(2);
pub const HANG: Duration = Duration::from_secs(60);
/// Control requests (setup, canary) use ids above this; generated ones stay below.
const CONTROL_IDS: u64 = 1 << 62;

// ---------------------------------------------------------------------------------------------
// Settings, files, reports

/// The run's seed: FAISSX_FUZZ_SEED (decimal or 0x hex), or a fixed default so that the
/// suite's runs are repeatable.
pub fn seed() -> u64 {
    match std::env::var("FAISSX_FUZZ_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("FAISSX_FUZZ_SEED={text} is not a number"))
        }
        Err(_) => 0x5EED_F022,
    }
}

/// How long to fuzz: FAISSX_FUZZ_SECONDS, 20 s in the suite by default.
pub fn duration() -> Duration {
    let seconds = std::env::var("FAISSX_FUZZ_SECONDS")
        .ok()
        .map(|s| {
            s.trim()
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("FAISSX_FUZZ_SECONDS={s} is not a number"))
        })
        .unwrap_or(20.0);
    Duration::from_secs_f64(seconds)
}

/// target/ of this workspace, where reproducers and logs go.
pub fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    std::fs::create_dir_all(&dir).expect("create target/");
    dir
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus")
}

/// The committed corpus: the generated entries, and any reproducer dropped into the folder.
pub fn corpus_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(corpus_dir()).expect("tests/fuzz/corpus") {
        let path = entry.expect("corpus entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".bin") {
            files.insert(name, std::fs::read(&path).expect("read a corpus file"));
        }
    }
    files
}

pub fn corpus_messages() -> Vec<Message> {
    corpus_files()
        .values()
        .flat_map(|bytes| decode_messages(bytes))
        .collect()
}

pub fn append_message(out: &mut Vec<u8>, message: &Message) {
    out.extend_from_slice(&(message.len() as u32).to_le_bytes());
    for frame in message {
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(frame);
    }
}

pub fn encode_messages<'a>(messages: impl IntoIterator<Item = &'a Message>) -> Vec<u8> {
    let mut out = Vec::new();
    for message in messages {
        append_message(&mut out, message);
    }
    out
}

/// Every complete message in `bytes`; a torn last one (a file cut by a crash) is left out.
pub fn decode_messages(bytes: &[u8]) -> Vec<Message> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
        *bytes = rest;
        Some(head)
    }
    fn word(bytes: &mut &[u8]) -> Option<usize> {
        Some(u32::from_le_bytes(take(bytes, 4)?.try_into().ok()?) as usize)
    }
    fn one(bytes: &mut &[u8]) -> Option<Message> {
        let count = word(bytes)?;
        (0..count)
            .map(|_| {
                let len = word(bytes)?;
                take(bytes, len).map(<[u8]>::to_vec)
            })
            .collect()
    }
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        match one(&mut rest) {
            Some(message) => out.push(message),
            None => break,
        }
    }
    out
}

/// The first bytes of a frame as `xxd` shows them, to read a header without tools.
pub fn hex_dump(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(512)];
    let mut out = String::new();
    for (row, chunk) in shown.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let text: String = chunk
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(
            "fuzz:     {:06x}: {:<48} {text}\n",
            row * 16,
            hex.join(" ")
        ));
    }
    if bytes.len() > shown.len() {
        out.push_str(&format!("fuzz:     ... {} bytes in all\n", bytes.len()));
    }
    out
}

/// What a message is, for reports: its frame sizes and, if the header decodes, the request.
pub fn describe(message: &Message) -> String {
    let sizes: Vec<usize> = message.iter().map(Vec::len).collect();
    let header = match message.first().map(|h| decode::<Request>(h)) {
        Some(Ok(request)) => {
            let mut text = format!("{request:?}");
            if text.len() > 300 {
                text.truncate(300);
                text.push_str(" ...");
            }
            text
        }
        Some(Err(error)) => format!("(header does not decode: {})", error.message),
        None => "(no frames)".into(),
    };
    format!("frames {sizes:?}: {header}")
}

/// Writes `message` as target/fuzz-<kind>-<seed>-<n>.bin, and the messages since the last
/// rebuild of the known indexes, ending with this one, as ...-<n>.history.bin (to replay when
/// the message alone does not reproduce); prints how to replay, and the header.
pub fn save_reproducer(
    kind: &str,
    seed: u64,
    n: u64,
    message: &Message,
    before: &[Message],
) -> PathBuf {
    let dir = target_dir();
    let path = dir.join(format!("fuzz-{kind}-{seed}-{n}.bin"));
    std::fs::write(&path, encode_messages([message])).expect("write the reproducer");
    let history_path = dir.join(format!("fuzz-{kind}-{seed}-{n}.history.bin"));
    std::fs::write(
        &history_path,
        encode_messages(before.iter().chain([message])),
    )
    .expect("write the history");
    eprintln!(
        "fuzz: message {n} of seed {seed} saved to {}\n\
         fuzz:   and with the {} messages before it since the indexes were rebuilt to {}\n\
         fuzz:   replay: FAISSX_FUZZ_REPLAY={} cargo test --release --test fuzz_server -- in_process --nocapture\n\
         fuzz:   {}\n\
         fuzz:   header:\n{}",
        path.display(),
        before.len(),
        history_path.display(),
        path.display(),
        describe(message),
        message.first().map_or_else(String::new, |h| hex_dump(h)),
    );
    path
}

/// A message appended to a file before it is sent: if the process dies while it is being
/// served, the file ends with it (see fuzz_server.rs's supervisor).
pub struct InFlight {
    file: std::fs::File,
    start: PathBuf,
}

impl InFlight {
    /// The file and the number of its first message, named by the supervising process's id:
    /// runs of the same seed (two checkouts sharing target/) must not write into one file.
    pub fn paths(seed: u64, supervisor: u32) -> (PathBuf, PathBuf) {
        let dir = target_dir();
        let stem = format!("fuzz-inflight-{seed}-{supervisor}");
        (
            dir.join(format!("{stem}.bin")),
            dir.join(format!("{stem}.start")),
        )
    }

    pub fn create(seed: u64, supervisor: u32) -> InFlight {
        let (path, start) = InFlight::paths(seed, supervisor);
        let file = std::fs::File::create(path).expect("create the in-flight file");
        InFlight { file, start }
    }

    /// Forgets the history: `first` is the number of the next message.
    pub fn restart(&mut self, first: u64) {
        self.file.set_len(0).expect("truncate the in-flight file");
        std::fs::write(&self.start, first.to_string()).expect("write the in-flight start");
    }

    pub fn push(&mut self, message: &Message) {
        let mut bytes = Vec::new();
        append_message(&mut bytes, message);
        // The file is opened without O_APPEND: after set_len(0) its offset stays put, so seek.
        use std::io::Seek;
        self.file
            .seek(std::io::SeekFrom::End(0))
            .expect("seek the in-flight file");
        self.file
            .write_all(&bytes)
            .expect("write the in-flight file");
    }
}

// ---------------------------------------------------------------------------------------------
// The indexes every run keeps

/// An index the fuzzers create under a known name, so that generated and mutated requests hit
/// real indexes of every family.
#[derive(Clone, Copy, Debug)]
pub struct Known {
    pub name: &'static str,
    pub binary: bool,
}

impl Known {
    /// Bytes of one vector on the wire.
    pub fn vector_bytes(&self) -> usize {
        if self.binary {
            BINARY_D / 8
        } else {
            D * 4
        }
    }
}

const fn float(name: &'static str) -> Known {
    Known {
        name,
        binary: false,
    }
}

const fn binary(name: &'static str) -> Known {
    Known { name, binary: true }
}

pub const KNOWN: &[Known] = &[
    float("flat"),
    float("flat_ip"),
    float("ivf_q"),
    float("ivf"),
    float("ivfsq_q"),
    float("ivfsq"),
    float("ivfpq_q"),
    float("ivfpq"),
    float("hnsw"),
    float("pq"),
    float("sq"),
    float("idmap_sub"),
    float("idmap2"),
    float("idmap1_sub"),
    float("idmap"),
    float("fac_ivf"),
    float("fac_hnsw"),
    float("fac_pq"),
    float("fac_idmap"),
    float("fac_idmap2"),
    float("fac_sq8"),
    float("dflt_flat"),
    float("dflt_ivf"),
    float("dflt_pt"),
    binary("bflat"),
    binary("bivf_q"),
    binary("bivf"),
    binary("bfac_flat"),
    binary("bfac_ivf"),
];

/// Names generated requests may create and then use.
const FRESH: [&str; 4] = ["new0", "new1", "new2", "new3"];

/// One request of a setup sequence, which must succeed.
pub struct Step {
    pub tenant: &'static str,
    pub op: Op,
    pub payload: Message,
}

fn op_step(op: Op, payload: Message) -> Step {
    Step {
        tenant: "default",
        op,
        payload,
    }
}

fn default_spec(class: &str) -> IndexSpec {
    IndexSpec::Default {
        class: class.into(),
    }
}

fn create(name: &str, spec: IndexSpec) -> Step {
    op_step(
        Op::Create {
            index: name.into(),
            spec,
        },
        vec![],
    )
}

fn train(name: &str, frame: Vec<u8>, n: usize) -> Step {
    op_step(
        Op::Train {
            index: name.into(),
            n: n as u64,
        },
        vec![frame],
    )
}

fn add(name: &str, frame: Vec<u8>, n: usize, ids: Option<Vec<i64>>) -> Step {
    let with_ids = ids.is_some();
    let mut payload = vec![frame];
    payload.extend(ids.map(|ids| to_frame(&ids)));
    op_step(
        Op::Add {
            index: name.into(),
            n: n as u64,
            with_ids,
            part: 0,
            parts: 1,
        },
        payload,
    )
}

/// Deterministic vectors with structure (a few clusters), so that trained indexes are sensible;
/// the corpus uses them too, so they must not depend on a random generator's version.
pub fn vectors(n: usize, d: usize, salt: usize) -> Vec<f32> {
    (0..n * d)
        .map(|i| {
            let (row, col) = (i / d + salt, i % d);
            let cluster = (row % 4) as f32;
            cluster + ((row * 31 + col * 17) % 97) as f32 / 970.0
        })
        .collect()
}

pub fn codes(n: usize, salt: usize) -> Vec<u8> {
    (0..n * BINARY_D / 8)
        .map(|i| ((i + salt) * 37 % 251) as u8)
        .collect()
}

/// Creates (after the caller deleted every index) the known indexes, trained and filled.
pub fn world_setup() -> Vec<Step> {
    let n = 64;
    let floats = |salt| to_frame(&vectors(n, D, salt));
    let bits = |salt| codes(n, salt);
    let ids: Vec<i64> = (0..n as i64).map(|i| 1000 + 3 * i).collect();
    let l2 = METRIC_L2;
    let factory = |description: &str| IndexSpec::Factory {
        d: D as u32,
        description: description.into(),
        metric: l2,
    };
    let mut steps = vec![
        create(
            "flat",
            IndexSpec::Flat {
                d: D as u32,
                metric: l2,
            },
        ),
        add("flat", floats(0), n, None),
        create("flat_ip", IndexSpec::FlatIP { d: D as u32 }),
        add("flat_ip", floats(1), n, None),
        create("ivf_q", IndexSpec::FlatL2 { d: D as u32 }),
        create(
            "ivf",
            IndexSpec::IvfFlat {
                quantizer: "ivf_q".into(),
                d: D as u64,
                nlist: 4,
                metric: l2,
            },
        ),
        train("ivf", floats(2), n),
        add("ivf", floats(3), n, None),
        create("ivfsq_q", IndexSpec::FlatL2 { d: D as u32 }),
        create(
            "ivfsq",
            IndexSpec::IvfScalarQuantizer {
                quantizer: "ivfsq_q".into(),
                d: D as u64,
                nlist: 4,
                qt: QT_8bit,
                metric: l2,
                by_residual: true,
            },
        ),
        train("ivfsq", floats(4), n),
        add("ivfsq", floats(5), n, None),
        create("ivfpq_q", IndexSpec::FlatL2 { d: D as u32 }),
        create(
            "ivfpq",
            IndexSpec::IvfPq {
                quantizer: "ivfpq_q".into(),
                d: D as u64,
                nlist: 4,
                m: 4,
                nbits: 4,
                metric: l2,
            },
        ),
        train("ivfpq", floats(6), n),
        add("ivfpq", floats(7), n, None),
        create(
            "hnsw",
            IndexSpec::HnswFlat {
                d: D as u32,
                m: 8,
                metric: l2,
            },
        ),
        add("hnsw", floats(8), n, None),
        create(
            "pq",
            IndexSpec::Pq {
                d: D as u32,
                m: 4,
                nbits: 4,
                metric: l2,
            },
        ),
        train("pq", floats(9), n),
        add("pq", floats(10), n, None),
        create(
            "sq",
            IndexSpec::ScalarQuantizer {
                d: D as u32,
                qt: QT_8bit,
                metric: l2,
            },
        ),
        train("sq", floats(11), n),
        add("sq", floats(12), n, None),
        create(
            "idmap_sub",
            IndexSpec::Flat {
                d: D as u32,
                metric: l2,
            },
        ),
        create(
            "idmap2",
            IndexSpec::IdMap {
                sub_index: "idmap_sub".into(),
                two_way: true,
            },
        ),
        add("idmap2", floats(13), n, Some(ids.clone())),
        create(
            "idmap1_sub",
            IndexSpec::Flat {
                d: D as u32,
                metric: l2,
            },
        ),
        create(
            "idmap",
            IndexSpec::IdMap {
                sub_index: "idmap1_sub".into(),
                two_way: false,
            },
        ),
        add("idmap", floats(14), n, Some(ids.clone())),
        create("fac_ivf", factory("IVF4,Flat")),
        train("fac_ivf", floats(15), n),
        add("fac_ivf", floats(16), n, None),
        create("fac_hnsw", factory("HNSW8")),
        add("fac_hnsw", floats(17), n, None),
        // "np": the factory's PQ otherwise trains for polysemous codes, ~1 s at 4 bits and ~20 s
        // at 8 bits, whatever the number of vectors.
        create("fac_pq", factory("PQ4x4np")),
        train("fac_pq", floats(18), n),
        add("fac_pq", floats(19), n, None),
        create("fac_idmap", factory("IDMap,Flat")),
        add("fac_idmap", floats(20), n, Some(ids.clone())),
        create("fac_idmap2", factory("IDMap2,Flat")),
        add("fac_idmap2", floats(21), n, Some(ids)),
        create("fac_sq8", factory("SQ8")),
        train("fac_sq8", floats(22), n),
        add("fac_sq8", floats(23), n, None),
        // What FAISS's constructors without arguments make: d = 0, no quantizer, no index.
        create("dflt_flat", default_spec("IndexFlat")),
        create("dflt_ivf", default_spec("IndexIVFFlat")),
        create("dflt_pt", default_spec("IndexPreTransform")),
        create("bflat", IndexSpec::BinaryFlat { d: BINARY_D as u64 }),
        add("bflat", bits(0), n, None),
        create("bivf_q", IndexSpec::BinaryFlat { d: BINARY_D as u64 }),
        create(
            "bivf",
            IndexSpec::BinaryIvf {
                quantizer: "bivf_q".into(),
                d: BINARY_D as u64,
                nlist: 4,
            },
        ),
        train("bivf", bits(1), n),
        add("bivf", bits(2), n, None),
        create(
            "bfac_flat",
            IndexSpec::BinaryFactory {
                d: BINARY_D as u32,
                description: "BFlat".into(),
            },
        ),
        add("bfac_flat", bits(3), n, None),
        create(
            "bfac_ivf",
            IndexSpec::BinaryFactory {
                d: BINARY_D as u32,
                description: "BIVF4".into(),
            },
        ),
        train("bfac_ivf", bits(4), n),
        add("bfac_ivf", bits(5), n, None),
    ];
    // IVF lists and HNSW levels as a client would tune them.
    for (index, name, value) in [("ivf", "nprobe", 2.0), ("hnsw", "efSearch", 32.0)] {
        steps.push(op_step(
            Op::SetParam {
                index: index.into(),
                name: name.into(),
                value,
                space: false,
            },
            vec![],
        ));
    }
    steps
}

/// The canary: a flat index in a tenant no generated request names, and a search whose answer
/// is known.
pub fn canary_setup() -> Vec<Step> {
    let mut steps = vec![
        create(
            "canary",
            IndexSpec::Flat {
                d: 4,
                metric: METRIC_L2,
            },
        ),
        add(
            "canary",
            to_frame(&[0.0f32, 0.0, 0.0, 1.0, 5.0, 5.0, 5.0, 5.0]),
            2,
            None,
        ),
    ];
    for step in &mut steps {
        step.tenant = CANARY_TENANT;
    }
    steps
}

pub fn canary_search() -> (Op, Message) {
    (
        Op::Search {
            index: "canary".into(),
            n: 1,
            k: 2,
            params: None,
        },
        vec![to_frame(&[5.0f32, 5.0, 5.0, 4.0])],
    )
}

/// Checks the canary search's answer: labels [1, 0] at distances [1, 84].
pub fn check_canary(result: &Result<Answer, WireError>, payload: &Message) -> Result<(), String> {
    match result {
        Ok(Answer::Data) if payload.len() == 2 => {
            let distances =
                from_frame::<f32>(&payload[0], 2, "distances").map_err(|e| e.message)?;
            let labels = from_frame::<i64>(&payload[1], 2, "labels").map_err(|e| e.message)?;
            if labels == [1, 0] && distances == [1.0, 84.0] {
                Ok(())
            } else {
                Err(format!(
                    "canary search answered labels {labels:?} distances {distances:?}, not [1, 0] [1, 84]"
                ))
            }
        }
        other => Err(format!(
            "canary search answered {other:?} with {} frames",
            payload.len()
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus

/// A corpus entry: a valid request of the kind clients send, named for what it covers.
pub struct Entry {
    pub name: String,
    pub request: Request,
    pub message: Message,
}

/// Saved FAISS files for Load requests, built by FAISS in this process: flat, IDMap2, an IVF
/// and a binary IVF whose quantizers hold their centroids already (no k-means, so the bytes do
/// not depend on thread timing), SQ8, binary flat.
fn saved_indexes() -> Vec<(&'static str, bool, Vec<u8>)> {
    let none = |_: &str| -> faissx::ffi::boundary::Result<RawIndex> {
        Err(faissx::ffi::boundary::Error::invalid("no sub-indexes here"))
    };
    let l2 = METRIC_L2;
    let floats = to_frame(&vectors(16, D, 40));
    let build = |spec: &IndexSpec| LocalIndex::create(spec, &none).expect("create for saving");
    let flat = build(&IndexSpec::Flat {
        d: D as u32,
        metric: l2,
    });
    flat.add(16, &floats, None).unwrap();
    let idmap2 = build(&IndexSpec::Factory {
        d: D as u32,
        description: "IDMap2,Flat".into(),
        metric: l2,
    });
    let ids: Vec<i64> = (0..16).map(|i| 500 + i).collect();
    idmap2.add(16, &floats, Some(&to_frame(&ids))).unwrap();
    let quantizer = build(&IndexSpec::FlatL2 { d: D as u32 });
    quantizer
        .add(4, &to_frame(&vectors(4, D, 0)), None)
        .unwrap();
    let ivf = LocalIndex::create(
        &IndexSpec::IvfFlat {
            quantizer: "q".into(),
            d: D as u64,
            nlist: 4,
            metric: l2,
        },
        &|_| Ok(quantizer.raw()),
    )
    .unwrap();
    ivf.add(16, &floats, None).unwrap();
    let sq8 = build(&IndexSpec::ScalarQuantizer {
        d: D as u32,
        qt: QT_8bit,
        metric: l2,
    });
    sq8.train(16, &floats).unwrap();
    sq8.add(16, &floats, None).unwrap();
    let bflat = build(&IndexSpec::BinaryFlat { d: BINARY_D as u64 });
    bflat.add(16, &codes(16, 40), None).unwrap();
    let bquantizer = build(&IndexSpec::BinaryFlat { d: BINARY_D as u64 });
    bquantizer.add(4, &codes(4, 0), None).unwrap();
    let bivf = LocalIndex::create(
        &IndexSpec::BinaryIvf {
            quantizer: "q".into(),
            d: BINARY_D as u64,
            nlist: 4,
        },
        &|_| Ok(bquantizer.raw()),
    )
    .unwrap();
    bivf.add(16, &codes(16, 41), None).unwrap();
    let saved = vec![
        ("flat", false, flat.save().unwrap()),
        ("idmap2", false, idmap2.save().unwrap()),
        ("ivf", false, ivf.save().unwrap()),
        ("sq8", false, sq8.save().unwrap()),
        ("binary-flat", true, bflat.save().unwrap()),
        ("binary-ivf", true, bivf.save().unwrap()),
    ];
    // The composites borrow their quantizers: drop them first.
    drop((ivf, bivf));
    saved
}

/// The corpus: valid requests covering every operation, every index spec, every selector and
/// the search parameters. Sent in this order after [`world_setup`], every one succeeds
/// (tests/fuzz_server.rs checks that); the files in tests/fuzz/corpus are these messages.
pub fn corpus() -> Vec<Entry> {
    let l2 = METRIC_L2;
    let ip = METRIC_INNER_PRODUCT;
    let queries = |n: usize| to_frame(&vectors(n, D, 77));
    let mut entries: Vec<(String, Op, Message)> = Vec::new();
    let mut push = |name: &str, op: Op, payload: Message| {
        entries.push((name.to_string(), op, payload));
    };
    let search = |index: &str, n: u64, k: u64, params: Option<SearchParams>| Op::Search {
        index: index.into(),
        n,
        k,
        params,
    };
    let with_selector = |selector: Selector| {
        Some(SearchParams {
            selector: Some(selector),
            ..Default::default()
        })
    };
    let range = |min, max| Selector::Range { min, max };
    let batch = |ids: &[i64]| Selector::Batch { ids: ids.to_vec() };
    let bitmap = || Selector::Bitmap {
        n: 8,
        bits: vec![0b1010_1010, 0xff, 0, 0x0f, 1, 2, 4, 8],
    };
    let not = |s: Selector| Selector::Not(Box::new(s));
    let and = |a: Selector, b: Selector| Selector::And(Box::new(a), Box::new(b));
    let or = |a: Selector, b: Selector| Selector::Or(Box::new(a), Box::new(b));
    let xor = |a: Selector, b: Selector| Selector::Xor(Box::new(a), Box::new(b));
    let create = |index: &str, spec: IndexSpec| Op::Create {
        index: index.into(),
        spec,
    };
    let factory = |description: &str| IndexSpec::Factory {
        d: D as u32,
        description: description.into(),
        metric: l2,
    };

    push("ping", Op::Ping, vec![]);
    push("list", Op::List, vec![]);
    push(
        "info-flat",
        Op::Info {
            index: "flat".into(),
        },
        vec![],
    );

    push(
        "create-factory-ivf4-flat",
        create("c_fac_ivf", factory("IVF4,Flat")),
        vec![],
    );
    push(
        "create-factory-hnsw8",
        create("c_fac_hnsw", factory("HNSW8")),
        vec![],
    );
    push(
        "create-factory-pq4",
        create("c_fac_pq", factory("PQ4")),
        vec![],
    );
    push(
        "create-factory-idmap-flat",
        create("c_fac_idmap", factory("IDMap,Flat")),
        vec![],
    );
    push(
        "create-factory-sq8",
        create("c_fac_sq8", factory("SQ8")),
        vec![],
    );
    push(
        "create-binary-factory-bflat",
        create(
            "c_bfac_flat",
            IndexSpec::BinaryFactory {
                d: BINARY_D as u32,
                description: "BFlat".into(),
            },
        ),
        vec![],
    );
    push(
        "create-binary-factory-bivf4",
        create(
            "c_bfac_ivf",
            IndexSpec::BinaryFactory {
                d: BINARY_D as u32,
                description: "BIVF4".into(),
            },
        ),
        vec![],
    );
    push(
        "create-flat-ip",
        create(
            "c_flat",
            IndexSpec::Flat {
                d: D as u32,
                metric: ip,
            },
        ),
        vec![],
    );
    push(
        "create-flatl2",
        create("c_flat_l2", IndexSpec::FlatL2 { d: D as u32 }),
        vec![],
    );
    push(
        "create-flatip",
        create("c_flat_ip", IndexSpec::FlatIP { d: D as u32 }),
        vec![],
    );
    push(
        "create-scalar-quantizer-fp16",
        create(
            "c_sq",
            IndexSpec::ScalarQuantizer {
                d: D as u32,
                qt: QT_fp16,
                metric: l2,
            },
        ),
        vec![],
    );
    push(
        "create-hnsw-flat",
        create(
            "c_hnsw",
            IndexSpec::HnswFlat {
                d: D as u32,
                m: 16,
                metric: l2,
            },
        ),
        vec![],
    );
    push(
        "create-pq",
        create(
            "c_pq",
            IndexSpec::Pq {
                d: D as u32,
                m: 2,
                nbits: 4,
                metric: l2,
            },
        ),
        vec![],
    );
    push(
        "create-ivf-flat",
        create(
            "c_ivf",
            IndexSpec::IvfFlat {
                quantizer: "ivf_q".into(),
                d: D as u64,
                nlist: 4,
                metric: l2,
            },
        ),
        vec![],
    );
    push(
        "create-ivf-scalar-quantizer",
        create(
            "c_ivfsq",
            IndexSpec::IvfScalarQuantizer {
                quantizer: "ivfsq_q".into(),
                d: D as u64,
                nlist: 4,
                qt: QT_4bit,
                metric: l2,
                by_residual: false,
            },
        ),
        vec![],
    );
    push(
        "create-ivf-pq",
        create(
            "c_ivfpq",
            IndexSpec::IvfPq {
                quantizer: "ivfpq_q".into(),
                d: D as u64,
                nlist: 4,
                m: 2,
                nbits: 4,
                metric: l2,
            },
        ),
        vec![],
    );
    push(
        "create-idmap2",
        create(
            "c_idmap2",
            IndexSpec::IdMap {
                sub_index: "c_flat_l2".into(),
                two_way: true,
            },
        ),
        vec![],
    );
    push(
        "create-idmap",
        create(
            "c_idmap",
            IndexSpec::IdMap {
                sub_index: "c_flat_ip".into(),
                two_way: false,
            },
        ),
        vec![],
    );
    push(
        "create-flat1d",
        create(
            "c_flat1d",
            IndexSpec::Flat1D {
                continuous_update: false,
            },
        ),
        vec![],
    );
    push(
        "create-lsh",
        create(
            "c_lsh",
            IndexSpec::Lsh {
                d: D as u32,
                nbits: 16,
                rotate_data: true,
                train_thresholds: false,
            },
        ),
        vec![],
    );
    push(
        "create-refine-flat",
        create(
            "c_refine",
            IndexSpec::RefineFlat {
                base: "c_flat".into(),
            },
        ),
        vec![],
    );
    push(
        "create-pre-transform",
        create(
            "c_pre_transform",
            IndexSpec::PreTransform {
                index: "c_flat".into(),
                transform: serialized_transform(2 * D as i32, D as i32, false),
            },
        ),
        vec![],
    );
    push(
        "create-binary-flat",
        create("c_bflat", IndexSpec::BinaryFlat { d: BINARY_D as u64 }),
        vec![],
    );
    push(
        "create-binary-ivf",
        create(
            "c_bivf",
            IndexSpec::BinaryIvf {
                quantizer: "bivf_q".into(),
                d: BINARY_D as u64,
                nlist: 4,
            },
        ),
        vec![],
    );
    for (name, binary, bytes) in saved_indexes() {
        push(
            &format!("load-{name}"),
            Op::Load {
                index: format!("c_load_{name}"),
                binary,
            },
            vec![bytes],
        );
    }

    let train = |index: &str, n: u64| Op::Train {
        index: index.into(),
        n,
    };
    push(
        "train-ivf-flat",
        train("c_ivf", 64),
        vec![to_frame(&vectors(64, D, 5))],
    );
    push(
        "train-pq",
        train("c_pq", 64),
        vec![to_frame(&vectors(64, D, 6))],
    );
    push("train-binary-ivf", train("c_bivf", 64), vec![codes(64, 7)]);
    push(
        "add-core-ivf",
        Op::AddCore {
            index: "c_ivf".into(),
            n: 3,
            with_ids: false,
        },
        // Sequential ids, as the direct map the corpus builds later needs.
        vec![to_frame(&vectors(3, D, 9)), to_frame(&[0i64, 1, 1])],
    );
    push(
        "train-encoder-ivfsq",
        Op::TrainEncoder {
            index: "c_ivfsq".into(),
            n: 64,
            with_assign: true,
        },
        vec![to_frame(&vectors(64, D, 8)), to_frame(&[0i64; 64])],
    );
    let add_op = |index: &str, n: u64, with_ids: bool, part: u32, parts: u32| Op::Add {
        index: index.into(),
        n,
        with_ids,
        part,
        parts,
    };
    push(
        "add-flat",
        add_op("c_flat", 4, false, 0, 1),
        vec![queries(4)],
    );
    push(
        "add-with-ids-idmap2",
        add_op("c_idmap2", 4, true, 0, 1),
        vec![queries(4), to_frame(&[7i64, 70, 700, -7])],
    );
    push(
        "add-part-0-of-2",
        add_op("c_flat", 3, false, 0, 2),
        vec![queries(3)],
    );
    push(
        "add-part-1-of-2",
        add_op("c_flat", 2, false, 1, 2),
        vec![queries(2)],
    );
    push(
        "add-binary-flat",
        add_op("c_bflat", 4, false, 0, 1),
        vec![codes(4, 9)],
    );
    push(
        "add-ivf-flat",
        add_op("c_ivf", 8, false, 0, 1),
        vec![queries(8)],
    );
    push(
        "add-binary-ivf",
        add_op("c_bivf", 8, false, 0, 1),
        vec![codes(8, 10)],
    );

    push(
        "clone-ivf",
        Op::Clone {
            index: "ivf".into(),
            to: "c_ivf_copy".into(),
        },
        vec![],
    );
    push(
        "merge-from-ivf",
        Op::MergeFrom {
            index: "c_ivf".into(),
            other: "c_ivf_copy".into(),
            // c_ivf holds ids 0..8: the merged ones follow, so a direct map can be built.
            add_id: 8,
        },
        vec![],
    );
    push(
        "copy-subset-ivf",
        Op::CopySubset {
            index: "c_ivf_copy".into(),
            from: "c_ivf".into(),
            subset_type: 0,
            a1: 2,
            a2: 6,
        },
        vec![],
    );
    push(
        "create-default-ivf-flat",
        create("c_default_ivf", default_spec("IndexIVFFlat")),
        vec![],
    );
    push("search-flat", search("flat", 2, 5, None), vec![queries(2)]);
    push(
        "search-ivf-nprobe",
        search(
            "ivf",
            2,
            3,
            Some(SearchParams {
                nprobe: Some(3),
                max_codes: Some(0),
                ..Default::default()
            }),
        ),
        vec![queries(2)],
    );
    push(
        "search-hnsw-ef",
        search(
            "hnsw",
            1,
            4,
            Some(SearchParams {
                ef_search: Some(24),
                check_relative_distance: Some(true),
                bounded_queue: Some(false),
                ..Default::default()
            }),
        ),
        vec![queries(1)],
    );
    let selectors = [
        ("range", range(10, 40)),
        ("batch", batch(&[1, 5, 9, 63, 64, -1])),
        ("bitmap", bitmap()),
        ("not", not(range(0, 32))),
        ("and", and(batch(&[1, 2, 3, 50]), not(bitmap()))),
        ("or", or(range(0, 4), batch(&[60, 61]))),
        ("xor", xor(range(0, 20), bitmap())),
        (
            "nested",
            not(and(
                or(range(0, 30), batch(&[40, 41])),
                xor(bitmap(), not(not(range(5, 6)))),
            )),
        ),
    ];
    for (name, selector) in selectors {
        push(
            &format!("search-selector-{name}"),
            search("flat", 1, 4, with_selector(selector)),
            vec![queries(1)],
        );
    }
    push(
        "search-ivf-nprobe-selector",
        search(
            "ivf",
            1,
            4,
            Some(SearchParams {
                nprobe: Some(4),
                selector: Some(range(0, 50)),
                ..Default::default()
            }),
        ),
        vec![queries(1)],
    );
    push(
        "search-idmap2",
        search("idmap2", 1, 3, None),
        vec![queries(1)],
    );
    push("search-pq", search("pq", 1, 3, None), vec![queries(1)]);
    push(
        "search-binary-flat",
        search("bflat", 2, 3, None),
        vec![codes(2, 11)],
    );
    push(
        "search-binary-ivf",
        search("bivf", 1, 3, None),
        vec![codes(1, 12)],
    );
    push(
        "assign-flat",
        Op::Assign {
            index: "flat".into(),
            n: 2,
            k: 2,
        },
        vec![queries(2)],
    );
    push(
        "range-search-flat",
        Op::RangeSearch {
            index: "flat".into(),
            n: 2,
            radius: 1.5,
            params: None,
        },
        vec![queries(2)],
    );
    push(
        "range-search-selector",
        Op::RangeSearch {
            index: "flat".into(),
            n: 1,
            radius: 100.0,
            params: with_selector(batch(&[0, 1, 2])),
        },
        vec![queries(1)],
    );
    push(
        "range-search-binary",
        Op::RangeSearch {
            index: "bflat".into(),
            n: 1,
            radius: 30.0,
            params: None,
        },
        vec![codes(1, 13)],
    );
    let reconstruct = |index: &str, first: i64, n: u64| Op::Reconstruct {
        index: index.into(),
        first,
        n,
    };
    push("reconstruct-flat", reconstruct("flat", 3, 2), vec![]);
    push("reconstruct-idmap2", reconstruct("idmap2", 1003, 1), vec![]);
    push(
        "reconstruct-binary-flat",
        reconstruct("bflat", 5, 3),
        vec![],
    );
    push(
        "prepend-transform",
        Op::PrependTransform {
            index: "c_pre_transform".into(),
        },
        vec![serialized_transform(4 * D as i32, 2 * D as i32, false)],
    );
    push(
        "sa-encode-sq8",
        Op::SaEncode {
            index: "fac_sq8".into(),
            n: 2,
        },
        vec![queries(2)],
    );
    push(
        "sa-decode-sq8",
        Op::SaDecode {
            index: "fac_sq8".into(),
            n: 2,
        },
        vec![(0..2 * D as u8).collect()],
    );
    push(
        "compute-residual-flat",
        Op::ComputeResidual {
            index: "flat".into(),
            n: 2,
        },
        vec![queries(2), to_frame(&[0i64, 7])],
    );
    push(
        "search-preassigned-ivf",
        Op::SearchPreassigned {
            index: "ivf".into(),
            n: 1,
            k: 3,
            store_pairs: false,
            params: None,
        },
        // The world's "ivf" probes 2 lists.
        vec![queries(1), to_frame(&[0i64, 1]), to_frame(&[0f32, 1.0])],
    );
    push(
        "search-preassigned-bivf",
        Op::SearchPreassigned {
            index: "bivf".into(),
            n: 1,
            k: 3,
            store_pairs: false,
            params: Some(SearchParams {
                nprobe: Some(2),
                max_codes: Some(0),
                ..Default::default()
            }),
        },
        vec![codes(1, 14), to_frame(&[0i64, 3]), to_frame(&[0i32, 5])],
    );
    let set_param = |index: &str, name: &str, value: f64| Op::SetParam {
        index: index.into(),
        name: name.into(),
        value,
        space: false,
    };
    push(
        "set-param-nprobe",
        set_param("c_ivf", "nprobe", 2.0),
        vec![],
    );
    push(
        "set-param-max-codes",
        set_param("c_ivf", "max_codes", 100.0),
        vec![],
    );
    push(
        "set-param-efsearch",
        set_param("c_hnsw", "efSearch", 40.0),
        vec![],
    );
    push(
        "set-param-efconstruction",
        set_param("c_hnsw", "efConstruction", 20.0),
        vec![],
    );
    push(
        "set-param-verbose",
        set_param("c_flat", "verbose", 0.0),
        vec![],
    );
    push(
        "set-param-direct-map",
        set_param("c_ivf", "direct_map", 1.0),
        vec![],
    );
    push(
        "reconstruct-ivf-direct-map",
        reconstruct("c_ivf", 2, 1),
        vec![],
    );
    push(
        "update-vectors-ivf",
        Op::UpdateVectors {
            index: "c_ivf".into(),
            n: 2,
        },
        vec![to_frame(&[1i64, 2]), to_frame(&vectors(2, D, 10))],
    );
    push(
        "id-map",
        Op::IdMap {
            index: "c_idmap2".into(),
        },
        vec![],
    );
    push(
        "set-ids-idmap2",
        Op::SetIds {
            index: "c_idmap2".into(),
            n: 4,
        },
        vec![to_frame(&[7i64, 70, 700, -7])],
    );
    push(
        "flat-vectors",
        Op::FlatVectors {
            index: "c_flat".into(),
        },
        vec![],
    );
    push(
        "list-ids",
        Op::ListIds {
            index: "c_ivf".into(),
            list: 0,
        },
        vec![],
    );
    push(
        "list-sizes",
        Op::ListSizes {
            index: "c_ivf".into(),
        },
        vec![],
    );
    push(
        "list-sizes-binary-ivf",
        Op::ListSizes {
            index: "c_bivf".into(),
        },
        vec![],
    );
    push(
        "save-flat",
        Op::Save {
            index: "c_flat".into(),
        },
        vec![],
    );
    push(
        "save-binary-ivf",
        Op::Save {
            index: "c_bivf".into(),
        },
        vec![],
    );
    push(
        "clone-flat",
        Op::Clone {
            index: "c_flat".into(),
            to: "c_clone".into(),
        },
        vec![],
    );
    push(
        "merge-from-flat",
        Op::MergeFrom {
            index: "c_flat".into(),
            other: "c_clone".into(),
            add_id: 0,
        },
        vec![],
    );
    let remove = |index: &str, selector: Selector| Op::RemoveIds {
        index: index.into(),
        selector,
    };
    push("remove-ids-range", remove("c_flat", range(0, 2)), vec![]);
    push(
        "remove-ids-batch",
        remove("c_idmap2", batch(&[70, 700])),
        vec![],
    );
    push("remove-ids-bitmap", remove("c_clone", bitmap()), vec![]);
    push(
        "remove-ids-not",
        remove("c_load_ivf", not(range(0, 4))),
        vec![],
    );
    push(
        "remove-ids-nested",
        remove(
            "c_bivf",
            or(
                and(range(0, 8), not(batch(&[3]))),
                xor(bitmap(), range(2, 3)),
            ),
        ),
        vec![],
    );
    push(
        "reset",
        Op::Reset {
            index: "c_clone".into(),
        },
        vec![],
    );
    push(
        "delete",
        Op::Delete {
            index: "c_clone".into(),
        },
        vec![],
    );
    // Sessions: the requests from here on carry one (see below), so mutations reach the
    // session fields; what a session creates it owns until persisted or the session ends.
    push("heartbeat", Op::Heartbeat, vec![]);
    push("describe", Op::Describe, vec![]);
    push(
        "create-in-session",
        create("c_session", IndexSpec::FlatL2 { d: D as u32 }),
        vec![],
    );
    push(
        "persist",
        Op::Persist {
            index: "c_session".into(),
        },
        vec![],
    );
    push(
        "create-in-session-owned",
        create("c_session_owned", IndexSpec::FlatIP { d: D as u32 }),
        vec![],
    );
    push("end-session", Op::EndSession, vec![]);

    let first_in_session = entries
        .iter()
        .position(|(name, _, _)| name == "heartbeat")
        .expect("the session entries");
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (name, op, payload))| {
            let request = Request {
                version: PROTOCOL_VERSION,
                id: i as u64 + 1,
                api_key: None,
                tenant: None,
                keepalive_ms: None,
                session: (i >= first_in_session).then(|| SessionHello {
                    id: "0123456789abcdef0123456789abcdef".into(),
                    heartbeat_ms: 5000,
                }),
                op,
            };
            let mut message = vec![encode(&request)];
            message.extend(payload);
            Entry {
                name: format!("{i:03}-{name}"),
                request,
                message,
            }
        })
        .collect()
}

/// The names of every operation and every index spec: `op_name` and `spec_name` match
/// exhaustively, so a new variant fails to compile until it is named here, and the corpus test
/// then fails until the corpus covers it.
pub const OPS: [&str; 36] = [
    "Ping",
    "List",
    "Create",
    "Load",
    "Save",
    "Delete",
    "Info",
    "Clone",
    "Train",
    "Add",
    "Search",
    "Assign",
    "RangeSearch",
    "Reset",
    "RemoveIds",
    "Reconstruct",
    "MergeFrom",
    "SetParam",
    "IdMap",
    "FlatVectors",
    "ListIds",
    "ListSizes",
    "SaEncode",
    "SaDecode",
    "ComputeResidual",
    "SearchPreassigned",
    "PrependTransform",
    "Heartbeat",
    "Persist",
    "EndSession",
    "Describe",
    "TrainEncoder",
    "AddCore",
    "UpdateVectors",
    "CopySubset",
    "SetIds",
];

pub fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Ping => "Ping",
        Op::List => "List",
        Op::Create { .. } => "Create",
        Op::Load { .. } => "Load",
        Op::Save { .. } => "Save",
        Op::Delete { .. } => "Delete",
        Op::Info { .. } => "Info",
        Op::Clone { .. } => "Clone",
        Op::Train { .. } => "Train",
        Op::TrainEncoder { .. } => "TrainEncoder",
        Op::AddCore { .. } => "AddCore",
        Op::UpdateVectors { .. } => "UpdateVectors",
        Op::Add { .. } => "Add",
        Op::Search { .. } => "Search",
        Op::Assign { .. } => "Assign",
        Op::RangeSearch { .. } => "RangeSearch",
        Op::Reset { .. } => "Reset",
        Op::RemoveIds { .. } => "RemoveIds",
        Op::Reconstruct { .. } => "Reconstruct",
        Op::MergeFrom { .. } => "MergeFrom",
        Op::CopySubset { .. } => "CopySubset",
        Op::SetIds { .. } => "SetIds",
        Op::SetParam { .. } => "SetParam",
        Op::IdMap { .. } => "IdMap",
        Op::FlatVectors { .. } => "FlatVectors",
        Op::ListIds { .. } => "ListIds",
        Op::ListSizes { .. } => "ListSizes",
        Op::SaEncode { .. } => "SaEncode",
        Op::SaDecode { .. } => "SaDecode",
        Op::ComputeResidual { .. } => "ComputeResidual",
        Op::SearchPreassigned { .. } => "SearchPreassigned",
        Op::PrependTransform { .. } => "PrependTransform",
        Op::Heartbeat => "Heartbeat",
        Op::Persist { .. } => "Persist",
        Op::EndSession => "EndSession",
        Op::Describe => "Describe",
    }
}

pub const SPECS: [&str; 19] = [
    "Factory",
    "BinaryFactory",
    "Flat",
    "FlatL2",
    "FlatIP",
    "ScalarQuantizer",
    "HnswFlat",
    "Pq",
    "IvfFlat",
    "IvfScalarQuantizer",
    "IvfPq",
    "IdMap",
    "BinaryFlat",
    "BinaryIvf",
    "Lsh",
    "RefineFlat",
    "PreTransform",
    "Flat1D",
    "Default",
];

pub fn spec_name(spec: &IndexSpec) -> &'static str {
    match spec {
        IndexSpec::Factory { .. } => "Factory",
        IndexSpec::BinaryFactory { .. } => "BinaryFactory",
        IndexSpec::Flat { .. } => "Flat",
        IndexSpec::FlatL2 { .. } => "FlatL2",
        IndexSpec::FlatIP { .. } => "FlatIP",
        IndexSpec::ScalarQuantizer { .. } => "ScalarQuantizer",
        IndexSpec::HnswFlat { .. } => "HnswFlat",
        IndexSpec::Pq { .. } => "Pq",
        IndexSpec::IvfFlat { .. } => "IvfFlat",
        IndexSpec::IvfScalarQuantizer { .. } => "IvfScalarQuantizer",
        IndexSpec::IvfPq { .. } => "IvfPq",
        IndexSpec::IdMap { .. } => "IdMap",
        IndexSpec::BinaryFlat { .. } => "BinaryFlat",
        IndexSpec::BinaryIvf { .. } => "BinaryIvf",
        IndexSpec::Lsh { .. } => "Lsh",
        IndexSpec::RefineFlat { .. } => "RefineFlat",
        IndexSpec::PreTransform { .. } => "PreTransform",
        IndexSpec::Flat1D { .. } => "Flat1D",
        IndexSpec::Default { .. } => "Default",
    }
}

pub fn selector_names(selector: &Selector, out: &mut Vec<&'static str>) {
    match selector {
        Selector::Range { .. } => out.push("Range"),
        Selector::Batch { .. } => out.push("Batch"),
        Selector::Bitmap { .. } => out.push("Bitmap"),
        Selector::Not(inner) => {
            out.push("Not");
            selector_names(inner, out);
        }
        Selector::And(a, b) | Selector::Or(a, b) | Selector::Xor(a, b) => {
            out.push(match selector {
                Selector::And(..) => "And",
                Selector::Or(..) => "Or",
                _ => "Xor",
            });
            selector_names(a, out);
            selector_names(b, out);
        }
    }
}

/// One line per corpus file, so that a review of the corpus needs no msgpack reader.
pub fn manifest(entries: &[Entry]) -> String {
    let mut out = String::from(
        "# Generated by tests/fuzz/mod.rs (corpus()); regenerate with\n\
         #   FAISSX_FUZZ_WRITE_CORPUS=1 cargo test --release --test fuzz_server corpus\n\
         # Each .bin file is one message: u32 LE frame count, then per frame a u32 LE length and\n\
         # its bytes. Sent in this order after the fuzzers' index setup, every one succeeds.\n",
    );
    for entry in entries {
        let sizes: Vec<usize> = entry.message.iter().map(Vec::len).collect();
        out.push_str(&format!(
            "{}.bin  frames {sizes:?}  {:?}\n",
            entry.name, entry.request.op
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Generation and mutation

const U64_EDGES: [u64; 18] = [
    0,
    1,
    2,
    3,
    7,
    8,
    63,
    64,
    65,
    255,
    1 << 16,
    u32::MAX as u64,
    1 << 31,
    1 << 32,
    1 << 53,
    i64::MAX as u64,
    1 << 63,
    u64::MAX,
];

const I64_EDGES: [i64; 14] = [
    0,
    1,
    -1,
    2,
    63,
    64,
    1000,
    1003,
    i32::MAX as i64,
    i32::MIN as i64,
    u32::MAX as i64,
    i64::MAX,
    i64::MIN,
    i64::MIN + 1,
];

const F64_EDGES: [f64; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1e9,
    1e300,
    f64::MAX,
    f64::MIN_POSITIVE,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

const FACTORY: [&str; 32] = [
    "Flat",
    "IVF4,Flat",
    "HNSW8",
    "PQ4",
    "IDMap,Flat",
    "IDMap2,Flat",
    "SQ8",
    "SQ4",
    "SQfp16",
    "IVF4,PQ4",
    "IVF4,SQ8",
    "IVF2,PQ2x4",
    "PCA4,Flat",
    "OPQ4,PQ4",
    "LSH",
    "HNSW4,Flat",
    "HNSW8,SQ8",
    "IVF4_HNSW8,Flat",
    "RR8,Flat",
    "L2norm,Flat",
    "PQ0",
    "IVF0,Flat",
    "PQ2x0",
    "OPQ0,PQ2",
    "NSG0",
    "HNSW0",
    "HNSW1",
    "",
    ",",
    "IVF4,Flat,Flat",
    "PQ8x64",
    "Bogus",
];

const BINARY_FACTORY: [&str; 8] = [
    "BFlat",
    "BIVF4",
    "BIVF0",
    "BHNSW8",
    "BHash",
    "BIVF4,BFlat",
    "",
    "Flat",
];

const PARAM_NAMES: [&str; 16] = [
    "update_permutation",
    "k_factor_rf",
    "nprobe",
    "max_codes",
    "use_heap",
    "per_invlist_search",
    "efSearch",
    "efConstruction",
    "verbose",
    "direct_map",
    "quantizer_efSearch",
    "ht",
    "k_factor",
    "parallel_mode",
    "bogus",
    "",
];

/// Strings a mutation puts where a string was: other field and variant names (so that an
/// operation turns into another), index names, and oddities.
const WORDS: [&str; 26] = [
    "Ping",
    "Search",
    "Add",
    "Create",
    "Load",
    "RemoveIds",
    "Not",
    "And",
    "Or",
    "Xor",
    "Range",
    "Batch",
    "Bitmap",
    "Factory",
    "IvfFlat",
    "IdMap",
    "Ok",
    "Err",
    "index",
    "selector",
    "params",
    "n",
    "k",
    "d",
    "flat",
    "ivf",
];

/// A seeded source of requests and mutations.
pub struct Gen {
    rng: ChaCha8Rng,
    next_id: u64,
    corpus: Vec<Message>,
    /// The FAISS files of the corpus's Load requests, for generated Loads.
    saved: Vec<Vec<u8>>,
}

impl Gen {
    pub fn new(seed: u64, corpus: Vec<Message>) -> Gen {
        let saved = corpus
            .iter()
            .filter(|m| {
                m.len() == 2
                    && decode::<Request>(&m[0]).is_ok_and(|r| matches!(r.op, Op::Load { .. }))
            })
            .map(|m| m[1].clone())
            .collect();
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            next_id: 0,
            corpus,
            saved,
        }
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).expect("non-empty")
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        self.rng.fill(&mut out[..]);
        out
    }

    fn u64_value(&mut self) -> u64 {
        match self.below(10) {
            0..=5 => self.below(9) as u64,
            6 | 7 => self.below(65) as u64,
            _ => self.pick(&U64_EDGES),
        }
    }

    fn i64_value(&mut self) -> i64 {
        match self.below(10) {
            0..=5 => self.below(70) as i64,
            6 => 1000 + 3 * self.below(64) as i64,
            _ => self.pick(&I64_EDGES),
        }
    }

    fn u32_value(&mut self) -> u32 {
        let v = self.u64_value();
        if v > u32::MAX as u64 {
            u32::MAX
        } else {
            v as u32
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        match self.below(50) {
            0 => self.pick(&U64_EDGES),
            _ => self.next_id,
        }
    }

    /// A known index most of the time, else a name generated requests may create, or junk.
    fn index(&mut self) -> (String, Option<Known>) {
        match self.below(20) {
            0..=16 => {
                let known = self.pick(KNOWN);
                (known.name.to_string(), Some(known))
            }
            17 | 18 => (self.pick(&FRESH).to_string(), None),
            _ => (
                self.pick(&["", "nope", "canary", "flat\0x", "ÿ"])
                    .to_string(),
                None,
            ),
        }
    }

    /// Vectors of `count` rows of `bytes_per` bytes: mostly plain floats, sometimes NaN,
    /// infinities, denormals, huge values.
    fn rows(&mut self, count: usize, bytes_per: usize, binary: bool) -> Vec<u8> {
        let len = count * bytes_per;
        if binary || !bytes_per.is_multiple_of(4) {
            return self.bytes(len);
        }
        let special = self.chance(0.05);
        let floats: Vec<f32> = (0..len / 4)
            .map(|_| {
                if special && self.chance(0.3) {
                    self.pick(&[
                        f32::NAN,
                        f32::INFINITY,
                        f32::NEG_INFINITY,
                        f32::MAX,
                        f32::MIN_POSITIVE / 4.0,
                        -0.0,
                        1e30,
                    ])
                } else {
                    self.rng.random_range(0.0..4.0)
                }
            })
            .collect();
        to_frame(&floats)
    }

    /// `n` for a request with vectors, and how many rows its frame really holds: usually the
    /// same small number; sometimes a huge declared n over a small frame.
    fn count(&mut self) -> (u64, usize) {
        match self.below(20) {
            0 => (0, 0),
            1 => {
                let huge = self.pick(&U64_EDGES[9..]);
                (huge, self.below(3))
            }
            2 => {
                let n = self.below(16) as u64 + 1;
                (n, self.below(17))
            }
            3 => (64, 64),
            _ => {
                let n = self.below(8) + 1;
                (n as u64, n)
            }
        }
    }

    /// Rows of the right width for `known`, or of a wrong one now and then.
    fn vectors_for(&mut self, known: Option<Known>, rows: usize) -> Vec<u8> {
        let known = known.unwrap_or(KNOWN[0]);
        let bytes_per = if self.chance(0.9) {
            known.vector_bytes()
        } else {
            self.pick(&[0, 1, 4, 12, 28, 36, 64])
        };
        self.rows(rows, bytes_per, known.binary)
    }

    fn dim(&mut self) -> u32 {
        match self.below(10) {
            0..=6 => self.pick(&[1, 2, 4, 8, 8, 8, 16, 32, 64]),
            _ => self.pick(&[0, 3, 7, 65_536, 65_537, 1 << 31, u32::MAX]),
        }
    }

    fn metric(&mut self) -> u32 {
        match self.below(10) {
            0..=5 => METRIC_L2,
            6 | 7 => METRIC_INNER_PRODUCT,
            _ => self.pick(&[2, 3, 4, 20, 21, 22, 5, 999, u32::MAX]),
        }
    }

    fn quantizer_type(&mut self) -> u32 {
        match self.below(10) {
            0..=7 => self.below(9) as u32,
            _ => self.pick(&[9, 100, u32::MAX]),
        }
    }

    fn float_quantizer(&mut self) -> String {
        self.pick(&[
            "ivf_q", "ivfsq_q", "ivfpq_q", "flat", "flat_ip", "hnsw", "bflat", "nope",
        ])
        .to_string()
    }

    pub fn spec(&mut self) -> IndexSpec {
        let (d, metric) = (self.dim(), self.metric());
        let d64 = if self.chance(0.8) { 8 } else { u64::from(d) };
        let nlist = match self.below(6) {
            0 => self.pick(&[0, 1, 65_536, 1 << 40, u64::MAX]),
            _ => self.pick(&[1, 2, 4, 16]),
        };
        match self.below(19) {
            0 => IndexSpec::Factory {
                d: if self.chance(0.6) { D as u32 } else { d },
                description: self.factory_string(false),
                metric,
            },
            1 => IndexSpec::BinaryFactory {
                d: self.pick(&[64, 64, 8, 16, 0, 7, 65_536]),
                description: self.factory_string(true),
            },
            2 => IndexSpec::Flat { d, metric },
            3 => IndexSpec::FlatL2 { d },
            4 => IndexSpec::FlatIP { d },
            5 => IndexSpec::ScalarQuantizer {
                d,
                qt: self.quantizer_type(),
                metric,
            },
            6 => IndexSpec::HnswFlat {
                d,
                m: self.pick(&[0, 1, 2, 4, 8, 16, 32, 64, 1 << 31, u32::MAX]),
                metric,
            },
            7 => IndexSpec::Pq {
                d,
                m: self.pick(&[0, 1, 2, 4, 8, 3, 64, 1 << 40, u64::MAX]),
                // Not 24, which the server accepts: 2^24 centroids are gigabytes and seconds of
                // work for one small request (reported; not a crash, so not sent every run).
                nbits: self.pick(&[0, 1, 4, 8, 12, 16, 25, 64, u64::MAX]),
                metric,
            },
            8 => IndexSpec::IvfFlat {
                quantizer: self.float_quantizer(),
                d: d64,
                nlist,
                metric,
            },
            9 => IndexSpec::IvfScalarQuantizer {
                quantizer: self.float_quantizer(),
                d: d64,
                nlist,
                qt: self.quantizer_type(),
                metric,
                by_residual: self.chance(0.5),
            },
            10 => IndexSpec::IvfPq {
                quantizer: self.float_quantizer(),
                d: d64,
                nlist,
                m: self.pick(&[0, 1, 2, 4, 8, 3, 64, u64::MAX]),
                nbits: self.pick(&[0, 1, 4, 8, 16, 25, 64, u64::MAX]),
                metric,
            },
            11 => IndexSpec::IdMap {
                sub_index: self
                    .pick(&[
                        "flat",
                        "idmap_sub",
                        "hnsw",
                        "ivf",
                        "idmap2",
                        "bflat",
                        "nope",
                    ])
                    .to_string(),
                two_way: self.chance(0.5),
            },
            12 => IndexSpec::BinaryFlat {
                d: self.pick(&[64, 64, 8, 16, 0, 7, 65_536, 1 << 40, u64::MAX]),
            },
            13 => IndexSpec::Lsh {
                d,
                nbits: self.pick(&[0, 1, 4, 8, 16, 64, 65_537, 1 << 31, u32::MAX]),
                rotate_data: self.chance(0.5),
                train_thresholds: self.chance(0.5),
            },
            14 => IndexSpec::RefineFlat {
                base: self
                    .pick(&["flat", "ivf", "hnsw", "pq", "bflat", "idmap", "nope"])
                    .to_string(),
            },
            16 => IndexSpec::Flat1D {
                continuous_update: self.chance(0.5),
            },
            15 => IndexSpec::PreTransform {
                index: self
                    .pick(&["flat", "ivf", "hnsw", "idmap", "bflat", "nope"])
                    .to_string(),
                transform: self.transform(),
            },
            18 => default_spec(self.pick(&[
                "IndexFlat",
                "IndexFlatL2",
                "IndexFlatIP",
                "IndexScalarQuantizer",
                "IndexIVFFlat",
                "IndexIVFScalarQuantizer",
                "IndexPreTransform",
                "IndexHNSWFlat",
                "",
                "IndexIVFFlat\0x",
            ])),
            _ => IndexSpec::BinaryIvf {
                quantizer: self.pick(&["bivf_q", "bflat", "flat", "nope"]).to_string(),
                d: self.pick(&[64, 64, 8, 0, 7, u64::MAX]),
                nlist,
            },
        }
    }

    /// A VectorTransform in FAISS's serialized form: one a client would send (into the
    /// fuzzed indexes' dimension or another), cut short, or with bytes flipped.
    fn transform(&mut self) -> Vec<u8> {
        let (d_in, d_out) = self.pick(&[(8, 8), (16, 8), (8, 4), (4, 8)]);
        let mut bytes = serialized_transform(d_in, d_out, self.chance(0.5));
        match self.below(4) {
            0 => bytes.truncate(self.below(bytes.len() + 1)),
            1 => {
                for _ in 0..1 + self.below(4) {
                    let at = self.below(bytes.len());
                    bytes[at] = self.rng.random();
                }
            }
            _ => {}
        }
        bytes
    }

    /// Inverted-list numbers as a caller assigns them: mostly -1..5, sometimes any i64.
    /// Ids mostly among those the corpus indexes hold (0..69, and -1), sometimes any value.
    fn ids_near_the_stored(&mut self, rows: usize) -> Vec<i64> {
        (0..rows)
            .map(|_| match self.below(4) {
                0 => self.i64_value(),
                _ => self.below(70) as i64 - 1,
            })
            .collect()
    }

    fn list_numbers(&mut self, count: usize) -> Vec<i64> {
        (0..count)
            .map(|_| match self.below(4) {
                0 => self.i64_value(),
                _ => self.below(6) as i64 - 1,
            })
            .collect()
    }

    fn factory_string(&mut self, binary: bool) -> String {
        match self.below(10) {
            0 => {
                // Long descriptions: a parser that recurses or copies per character.
                let unit = self.pick(&["IVF4,", "PQ4", "Flat", ",", "(", "x", "HNSW8_"]);
                unit.repeat(self.pick(&[10, 100, 1000, 10_000]))
            }
            1 => {
                let len = self.below(12);
                let bytes = self.bytes(len);
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ if binary => self.pick(&BINARY_FACTORY).to_string(),
            _ => self.pick(&FACTORY).to_string(),
        }
    }

    /// A selector of at most `depth` levels, over ids around the known indexes' (0..64, and the
    /// IDMaps' 1000..1192).
    pub fn selector(&mut self, depth: u32) -> Selector {
        let leaf = depth == 0 || self.chance(0.4);
        if leaf {
            return match self.below(3) {
                0 => Selector::Range {
                    min: self.i64_value(),
                    max: self.i64_value(),
                },
                1 => {
                    let len = self.pick(&[0, 1, 3, 10, 100]);
                    Selector::Batch {
                        ids: (0..len).map(|_| self.i64_value()).collect(),
                    }
                }
                _ => {
                    let len = self.pick(&[0, 1, 8, 9, 200]);
                    let bits = self.bytes(len);
                    let n = if self.chance(0.85) {
                        len as u64
                    } else {
                        self.u64_value()
                    };
                    Selector::Bitmap { n, bits }
                }
            };
        }
        let kind = self.below(4);
        let a = Box::new(self.selector(depth - 1));
        if kind == 0 {
            return Selector::Not(a);
        }
        let b = Box::new(self.selector(depth - 1));
        match kind {
            1 => Selector::And(a, b),
            2 => Selector::Or(a, b),
            _ => Selector::Xor(a, b),
        }
    }

    /// A chain of `depth` Nots around a range: how deep the server lets selectors nest.
    fn deep_selector(&mut self, depth: usize) -> Selector {
        let mut selector = Selector::Range { min: 0, max: 10 };
        for _ in 0..depth {
            selector = Selector::Not(Box::new(selector));
        }
        selector
    }

    fn params(&mut self) -> Option<SearchParams> {
        if self.chance(0.5) {
            return None;
        }
        let selector = match self.below(10) {
            0..=3 => None,
            4 => {
                let depth = self.pick(&[16, 100, 500, 1000]);
                Some(self.deep_selector(depth))
            }
            _ => Some(self.selector(4)),
        };
        let option = |gen: &mut Gen, p| gen.chance(p);
        Some(SearchParams {
            selector,
            nprobe: option(self, 0.6).then(|| match self.below(4) {
                0 => self.pick(&U64_EDGES),
                _ => self.below(6) as u64,
            }),
            max_codes: option(self, 0.3).then(|| self.u64_value()),
            ef_search: option(self, 0.4)
                .then(|| self.pick(&[0, 1, 16, 64, -1, i32::MIN, i32::MAX, 100_000])),
            check_relative_distance: option(self, 0.3).then(|| self.chance(0.5)),
            bounded_queue: option(self, 0.3).then(|| self.chance(0.5)),
        })
    }

    fn k(&mut self) -> u64 {
        match self.below(10) {
            0..=6 => self.below(10) as u64 + 1,
            7 => self.pick(&[0, 64, 65, 100]),
            _ => self.pick(&[1000, 100_000, 100_001, 1 << 31, i64::MAX as u64, u64::MAX]),
        }
    }

    /// A random request, well-formed, aimed mostly at the known indexes, with small sizes and
    /// boundary values.
    pub fn request(&mut self) -> Message {
        let (index, known) = self.index();
        let mut payload = Vec::new();
        let op = match self.below(40) {
            0 => Op::Ping,
            1 => Op::List,
            2 | 3 => {
                let name = if self.chance(0.7) {
                    self.pick(&FRESH).to_string()
                } else {
                    index
                };
                Op::Create {
                    index: name,
                    spec: self.spec(),
                }
            }
            4 => {
                let binary = self.chance(0.3);
                if let Some(file) = self.saved.choose(&mut self.rng) {
                    payload.push(file.clone());
                }
                Op::Load {
                    index: self.pick(&FRESH).to_string(),
                    binary,
                }
            }
            5 => Op::Save { index },
            6 => Op::Delete {
                index: if self.chance(0.7) {
                    self.pick(&FRESH).to_string()
                } else {
                    index
                },
            },
            7 => Op::Info { index },
            8 => Op::Clone {
                index,
                to: self.pick(&FRESH).to_string(),
            },
            9 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                Op::Train { index, n }
            }
            10 | 11 => {
                let (n, rows) = self.count();
                let with_ids = self.chance(0.4);
                payload.push(self.vectors_for(known, rows));
                if with_ids {
                    let ids: Vec<i64> = (0..rows).map(|_| self.i64_value()).collect();
                    payload.push(to_frame(&ids));
                }
                let (part, parts) = match self.below(10) {
                    0..=6 => (0, 1),
                    7 | 8 => {
                        let parts = self.below(4) as u32 + 1;
                        (self.below(parts as usize) as u32, parts)
                    }
                    _ => (self.u32_value(), self.u32_value()),
                };
                Op::Add {
                    index,
                    n,
                    with_ids,
                    part,
                    parts,
                }
            }
            12..=14 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                Op::Search {
                    index,
                    n,
                    k: self.k(),
                    params: self.params(),
                }
            }
            15 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                Op::Assign {
                    index,
                    n,
                    k: self.k(),
                }
            }
            16 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                Op::RangeSearch {
                    index,
                    n,
                    radius: self.pick(&F64_EDGES),
                    params: self.params(),
                }
            }
            17 => Op::Reset { index },
            18 | 19 => Op::RemoveIds {
                index,
                selector: if self.chance(0.1) {
                    let depth = self.pick(&[16, 100, 1000]);
                    self.deep_selector(depth)
                } else {
                    self.selector(4)
                },
            },
            20 => Op::Reconstruct {
                index,
                first: self.i64_value(),
                n: self.u64_value(),
            },
            21 => Op::MergeFrom {
                index,
                other: self.index().0,
                add_id: self.i64_value(),
            },
            22 => Op::SetParam {
                index,
                name: self.pick(&PARAM_NAMES).to_string(),
                value: if self.chance(0.5) {
                    self.below(70) as f64
                } else {
                    self.pick(&F64_EDGES)
                },
                space: self.chance(0.5),
            },
            23 => Op::IdMap { index },
            24 => Op::FlatVectors { index },
            25 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                Op::SaEncode { index, n }
            }
            26 => {
                // Codes of plausible sizes (an SQ8 code is d bytes; IVF codes start with their
                // list number, which may name a list the index does not have).
                let (n, rows) = self.count();
                let len = rows * self.pick(&[D, D / 2, D + 1, 2, 0]);
                payload.push(self.bytes(len));
                Op::SaDecode { index, n }
            }
            27 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                let keys: Vec<i64> = (0..rows).map(|_| self.i64_value()).collect();
                payload.push(to_frame(&keys));
                Op::ComputeResidual { index, n }
            }
            28 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                let probes = rows * self.pick(&[1, 2, 4, 16, 0]);
                let lists: Vec<i64> = self.list_numbers(probes);
                payload.push(to_frame(&lists));
                // Binary IVFs take i32 coarse distances and IVF search parameters.
                let binary = known.is_some_and(|known| known.binary);
                if binary {
                    let coarse: Vec<i32> = (0..probes).map(|_| self.below(10) as i32).collect();
                    payload.push(to_frame(&coarse));
                } else {
                    let coarse: Vec<f32> = (0..probes).map(|_| self.below(10) as f32).collect();
                    payload.push(to_frame(&coarse));
                }
                let params = if binary || self.chance(0.1) {
                    self.params()
                } else {
                    None
                };
                Op::SearchPreassigned {
                    index,
                    n,
                    k: self.k(),
                    store_pairs: self.chance(0.5),
                    params,
                }
            }
            29 => Op::Heartbeat,
            30 => Op::Persist { index },
            31 => Op::Describe,
            32 => Op::EndSession,
            33 => {
                payload.push(self.transform());
                Op::PrependTransform { index }
            }
            34 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                let with_assign = self.chance(0.7);
                if with_assign {
                    let lists: Vec<i64> = self.list_numbers(rows);
                    payload.push(to_frame(&lists));
                }
                Op::TrainEncoder {
                    index,
                    n,
                    with_assign,
                }
            }
            35 => {
                let (n, rows) = self.count();
                payload.push(self.vectors_for(known, rows));
                let lists: Vec<i64> = self.list_numbers(rows);
                payload.push(to_frame(&lists));
                let with_ids = self.chance(0.5);
                if with_ids {
                    let ids: Vec<i64> = (0..rows).map(|_| self.i64_value()).collect();
                    payload.push(to_frame(&ids));
                }
                Op::AddCore { index, n, with_ids }
            }
            38 => {
                let (n, rows) = self.count();
                let ids = self.ids_near_the_stored(rows);
                payload.push(to_frame(&ids));
                Op::SetIds { index, n }
            }
            37 => Op::CopySubset {
                index,
                from: self.index().0,
                subset_type: self.pick(&[0, 1, 2, 3, 4, 5, -1, i32::MIN, i32::MAX]),
                a1: self.i64_value(),
                a2: self.i64_value(),
            },
            36 => {
                let (n, rows) = self.count();
                let ids = self.ids_near_the_stored(rows);
                payload.push(to_frame(&ids));
                payload.push(self.vectors_for(known, rows));
                Op::UpdateVectors { index, n }
            }
            _ => {
                if self.chance(0.5) {
                    Op::ListSizes { index }
                } else {
                    Op::ListIds {
                        index,
                        list: self.u64_value(),
                    }
                }
            }
        };
        let tenant = match self.below(10) {
            0..=6 => None,
            7 => Some(TENANTS[0].to_string()),
            8 => Some(TENANTS[1].to_string()),
            _ => Some(String::new()),
        };
        let request = Request {
            version: if self.chance(0.02) {
                self.u32_value()
            } else {
                PROTOCOL_VERSION
            },
            id: self.id(),
            api_key: self.chance(0.05).then(|| "key".to_string()),
            tenant,
            keepalive_ms: self.chance(0.1).then(|| self.u32_value()),
            // Corpus entries carry sessions for mutations to change: random requests keep the
            // stream of messages a seed names as it was before sessions.
            session: None,
            op,
        };
        let mut message = vec![encode(&request)];
        message.extend(payload);
        message
    }

    /// Random frames: bytes, or msgpack values of no particular shape.
    pub fn garbage(&mut self) -> Message {
        let frames = self.below(5) + 1;
        (0..frames)
            .map(|_| match self.below(4) {
                0 => Vec::new(),
                1 => {
                    let value = self.random_value(3);
                    let mut out = Vec::new();
                    rmpv::encode::write_value(&mut out, &value).expect("encode");
                    out
                }
                _ => {
                    let len = self.pick(&[1, 2, 5, 16, 100, 1000]);
                    self.bytes(len)
                }
            })
            .collect()
    }

    /// Bytes for a raw TCP connection to the server's port: noise, or a ZeroMQ (ZMTP 3)
    /// greeting followed by a broken handshake or a frame that claims an enormous length.
    pub fn tcp_garbage(&mut self) -> Vec<u8> {
        let mut greeting = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, self.pick(&[0, 1, 9])];
        let mut mechanism = self
            .pick(&[&b"NULL"[..], b"PLAIN", b"CURVE", b"\xff\xff"])
            .to_vec();
        mechanism.resize(20, 0);
        greeting.extend(mechanism);
        greeting.push(self.pick(&[0, 1]));
        greeting.extend([0u8; 31]);
        let ready = {
            let mut body = b"\x05READY\x0bSocket-Type".to_vec();
            body.extend(6u32.to_be_bytes());
            body.extend(self.pick(&[&b"DEALER"[..], b"ROUTER", b"XXXXXX"]));
            let mut command = vec![0x04, body.len() as u8];
            command.extend(body);
            command
        };
        let mut out = match self.below(5) {
            0 => {
                let len = self.pick(&[1, 10, 64, 1000]);
                return self.bytes(len);
            }
            1 => greeting,
            2 => {
                greeting.extend(self.bytes(40));
                greeting
            }
            _ => {
                greeting.extend(ready);
                greeting
            }
        };
        // A frame: short, long with a huge declared size, or a truncated one.
        match self.below(3) {
            0 => out.extend([0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            1 => out.extend([0x00, 200, 1, 2, 3]),
            _ => {
                let len = self.below(100);
                out.extend(self.bytes(len));
            }
        }
        out
    }

    fn random_value(&mut self, depth: u32) -> Value {
        match self.below(if depth == 0 { 7 } else { 9 }) {
            0 => Value::Nil,
            1 => Value::Boolean(self.chance(0.5)),
            2 => Value::from(self.u64_value()),
            3 => Value::from(self.i64_value()),
            4 => Value::F64(self.pick(&F64_EDGES)),
            5 => Value::from(self.pick(&WORDS)),
            6 => {
                let len = self.below(8);
                Value::Binary(self.bytes(len))
            }
            7 => Value::Array(
                (0..self.below(4))
                    .map(|_| self.random_value(depth - 1))
                    .collect(),
            ),
            _ => Value::Map(
                (0..self.below(4))
                    .map(|_| (Value::from(self.pick(&WORDS)), self.random_value(depth - 1)))
                    .collect(),
            ),
        }
    }

    /// The next message of a run: corpus entries and generated requests, as they are or
    /// mutated, and garbage.
    pub fn message(&mut self) -> Message {
        match self.below(20) {
            0..=5 => {
                let base = self.corpus_entry();
                self.mutate(base)
            }
            6 => self.corpus_entry(),
            7..=11 => self.request(),
            12..=17 => {
                let base = self.request();
                self.mutate(base)
            }
            _ => self.garbage(),
        }
    }

    fn corpus_entry(&mut self) -> Message {
        if self.corpus.is_empty() {
            return self.request();
        }
        let i = self.below(self.corpus.len());
        let mut message = self.corpus[i].clone();
        // The corpus numbers its requests 1, 2, ...: give this one a fresh id, so that replies
        // are told apart in the logs.
        if let Ok(mut request) = decode::<Request>(&message[0]) {
            request.id = self.id();
            message[0] = encode(&request);
        }
        message
    }

    /// One to four mutations: first, on a header this process encoded, field changes that
    /// know msgpack; then changes to bytes and frames.
    pub fn mutate(&mut self, mut message: Message) -> Message {
        if self.chance(0.6) {
            if let Some(header) = self.mutate_header(&message[0]) {
                message[0] = header;
            }
        }
        let rounds = if self.chance(0.5) {
            0
        } else {
            self.below(3) + 1
        };
        for _ in 0..rounds {
            self.mutate_frames(&mut message);
        }
        if message.is_empty() {
            // ZeroMQ has no empty multipart message: the nearest is one empty frame.
            message.push(Vec::new());
        }
        message
    }

    /// Changes one node of the header's msgpack tree: numbers to boundaries, strings longer or
    /// renamed, types swapped, maps and arrays trimmed or grown, nesting deepened.
    pub fn mutate_header(&mut self, header: &[u8]) -> Option<Vec<u8>> {
        let mut value = rmpv::decode::read_value(&mut &header[..]).ok()?;
        let mut paths = Vec::new();
        collect_paths(&value, &mut Vec::new(), &mut paths);
        // Selectors are where nesting is allowed: deepen them more often than other nodes.
        let selectors: Vec<&Vec<usize>> = paths
            .iter()
            .filter(|p| key_of(&value, p) == Some("selector"))
            .collect();
        let deepen = self.chance(0.15);
        let path = if deepen && !selectors.is_empty() && self.chance(0.7) {
            selectors[self.below(selectors.len())].clone()
        } else {
            paths[self.below(paths.len())].clone()
        };
        if deepen {
            return Some(self.deepen(value, &path));
        }
        let node = node_mut(&mut value, &path);
        self.mutate_value(node);
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, &value).ok()?;
        Some(out)
    }

    fn mutate_value(&mut self, node: &mut Value) {
        if self.chance(0.15) {
            *node = self.random_value(1);
            return;
        }
        match node {
            Value::Integer(_) => {
                *node = match self.below(4) {
                    0 => Value::from(self.pick(&U64_EDGES)),
                    1 => Value::from(self.pick(&I64_EDGES)),
                    2 => Value::from(self.below(10) as u64),
                    _ => Value::from(self.rng.random::<u64>()),
                }
            }
            Value::F32(_) | Value::F64(_) => *node = Value::F64(self.pick(&F64_EDGES)),
            Value::String(s) => {
                let text = s.as_str().unwrap_or("").to_string();
                *node = match self.below(6) {
                    0 => {
                        let unit = if text.is_empty() { "x" } else { &text };
                        let len = self.pick(&[100, 1000, 4096, 65_536, 400_000]);
                        Value::from(unit.repeat(len / unit.len() + 1))
                    }
                    1 => Value::from(""),
                    2 => Value::from(format!("{text}\0")),
                    3 => Value::from(self.pick(&WORDS)),
                    4 => Value::from(self.pick(KNOWN).name),
                    _ => {
                        let len = self.below(6);
                        Value::Binary(self.bytes(len))
                    }
                };
            }
            Value::Boolean(b) => {
                *node = if self.chance(0.7) {
                    Value::Boolean(!*b)
                } else {
                    Value::from(2u64)
                }
            }
            Value::Nil => *node = self.random_value(2),
            Value::Array(items) => match self.below(4) {
                0 if !items.is_empty() => {
                    items.pop();
                }
                1 => items.clear(),
                2 if !items.is_empty() => {
                    let copy = items[self.below(items.len())].clone();
                    items.push(copy);
                }
                _ => items.push(self.random_value(1)),
            },
            Value::Map(entries) => match self.below(5) {
                0 if !entries.is_empty() => {
                    entries.remove(self.below(entries.len()));
                }
                1 if !entries.is_empty() => {
                    let copy = entries[self.below(entries.len())].clone();
                    entries.push(copy);
                }
                2 if !entries.is_empty() => {
                    // Another field or variant name: an operation becomes another one.
                    let i = self.below(entries.len());
                    entries[i].0 = Value::from(self.pick(&WORDS));
                }
                3 => entries.clear(),
                _ => {
                    let value = self.random_value(1);
                    entries.push((Value::from(self.pick(&WORDS)), value));
                }
            },
            Value::Binary(bytes) => bytes.extend(self.bytes(8)),
            Value::Ext(_, bytes) => bytes.clear(),
        }
    }

    /// Wraps the node at `path` in `depth` single-entry maps or arrays. Built as bytes, not as
    /// a value tree: msgpack is prefix-encoded, so a chain of wrappers is their prefixes
    /// repeated, and a tree 100 000 levels deep would overflow this thread's stack to encode.
    fn deepen(&mut self, mut value: Value, path: &[usize]) -> Vec<u8> {
        const MARKER: &[u8] = b"\x00fuzz-deepen-marker\x00";
        let node = std::mem::replace(node_mut(&mut value, path), Value::Binary(MARKER.to_vec()));
        let mut inner = Vec::new();
        rmpv::encode::write_value(&mut inner, &node).expect("encode");
        let mut outer = Vec::new();
        rmpv::encode::write_value(&mut outer, &value).expect("encode");
        let mut marker = vec![0xc4, MARKER.len() as u8];
        marker.extend_from_slice(MARKER);
        let at = outer
            .windows(marker.len())
            .position(|w| w == marker)
            .expect("the marker is in the encoding");
        let range_selector = {
            let mut out = Vec::new();
            rmpv::encode::write_value(
                &mut out,
                &Value::Map(vec![(
                    Value::from("Range"),
                    Value::Map(vec![
                        (Value::from("min"), Value::from(0)),
                        (Value::from("max"), Value::from(5)),
                    ]),
                )]),
            )
            .expect("encode");
            out
        };
        let (prefix, suffix): (&[u8], &[u8]) = match self.below(4) {
            0 | 1 => (b"\x81\xa3Not", b""),
            2 => (b"\x81\xa2Or\x92", &range_selector),
            _ => (b"\x91", b""),
        };
        let depth = self.pick(&[2, 16, 256, 1000, 1023, 1024, 1025, 5000, 100_000]);
        let room =
            MAX_FRAME.saturating_sub(outer.len() + inner.len()) / (prefix.len() + suffix.len());
        let depth = depth.min(room);
        let mut out = Vec::with_capacity(outer.len() + inner.len() + depth * 16);
        out.extend_from_slice(&outer[..at]);
        for _ in 0..depth {
            out.extend_from_slice(prefix);
        }
        out.extend_from_slice(&inner);
        for _ in 0..depth {
            out.extend_from_slice(suffix);
        }
        out.extend_from_slice(&outer[at + marker.len()..]);
        out
    }

    /// One change to the bytes of a frame or to the list of frames.
    fn mutate_frames(&mut self, message: &mut Message) {
        if message.is_empty() {
            message.push(Vec::new());
        }
        // The header most often: that is what the server parses.
        let i = if self.chance(0.6) {
            0
        } else {
            self.below(message.len())
        };
        let frame = &mut message[i];
        match self.below(16) {
            0 | 1 => {
                for _ in 0..self.below(8) + 1 {
                    if !frame.is_empty() {
                        let at = self.below(frame.len());
                        frame[at] ^= 1 << self.below(8);
                    }
                }
            }
            2 => {
                if !frame.is_empty() {
                    let at = self.below(frame.len());
                    frame[at] =
                        self.pick(&[0x00, 0xff, 0x7f, 0x80, 0xc0, 0xc1, 0xc4, 0xdc, 0xdd, 0xdf]);
                }
            }
            3 => {
                let at = self.below(frame.len() + 1);
                let len = self.below(16) + 1;
                let bytes = self.bytes(len);
                frame.splice(at..at, bytes);
            }
            4 => {
                if !frame.is_empty() {
                    let at = self.below(frame.len());
                    let len = (self.below(8) + 1).min(frame.len() - at);
                    frame.drain(at..at + len);
                }
            }
            5 => {
                // A length prefix made huge: a map, array or string that claims 4 G entries.
                let positions: Vec<usize> = (0..frame.len())
                    .filter(|&p| (0x80..=0xbf).contains(&frame[p]))
                    .collect();
                if let Some(&at) = positions.choose(&mut self.rng) {
                    let wide: &[u8] = match frame[at] {
                        0x80..=0x8f => b"\xdf\xff\xff\xff\xff",
                        0x90..=0x9f => b"\xdd\xff\xff\xff\xff",
                        _ => b"\xdb\x7f\xff\xff\xff",
                    };
                    frame.splice(at..at + 1, wide.iter().copied());
                }
            }
            6 => {
                let len = self.below(frame.len() + 1);
                frame.truncate(len);
            }
            7 => {
                let extra = match self.below(40) {
                    // Past the size limit: the server must drop the connection.
                    0 => MAX_FRAME + 1 - frame.len().min(MAX_FRAME),
                    1 => MAX_FRAME - frame.len().min(MAX_FRAME),
                    _ => self.pick(&[1, 3, 4, 8, 32, 4096]),
                };
                let bytes = self.bytes(extra);
                frame.extend(bytes);
            }
            8 => frame.clear(),
            9 if message.len() > 1 => {
                message.remove(i);
            }
            10 => message.truncate(1),
            11 => {
                let copy = message[i].clone();
                message.push(copy);
            }
            12 => {
                for _ in 0..self.below(3) + 1 {
                    let len = self.pick(&[0, 4, 8, 32, 256]);
                    let bytes = self.bytes(len);
                    message.push(bytes);
                }
            }
            13 if message.len() > 1 => {
                let j = self.below(message.len());
                message.swap(i, j);
            }
            _ => {
                // Splice: this header with another message's frames, or the reverse.
                let other = if self.chance(0.5) || self.corpus.is_empty() {
                    self.request()
                } else {
                    let i = self.below(self.corpus.len());
                    self.corpus[i].clone()
                };
                if self.chance(0.5) {
                    message.truncate(1);
                    message.extend(other.into_iter().skip(1));
                } else {
                    message[0] = other[0].clone();
                }
            }
        }
    }
}

fn collect_paths(value: &Value, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(path.clone());
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i);
                collect_paths(item, path, out);
                path.pop();
            }
        }
        Value::Map(entries) => {
            for (i, (key, item)) in entries.iter().enumerate() {
                // Keys at even steps, values at odd ones.
                path.push(2 * i);
                collect_paths(key, path, out);
                path.pop();
                path.push(2 * i + 1);
                collect_paths(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(value: &'a mut Value, path: &[usize]) -> &'a mut Value {
    path.iter().fold(value, |node, &step| match node {
        Value::Array(items) => &mut items[step],
        Value::Map(entries) => {
            let entry = &mut entries[step / 2];
            if step % 2 == 0 {
                &mut entry.0
            } else {
                &mut entry.1
            }
        }
        _ => unreachable!("paths lead through arrays and maps"),
    })
}

/// The map key a value at `path` sits under, if it is a map value.
fn key_of<'a>(value: &'a Value, path: &[usize]) -> Option<&'a str> {
    let (&last, parent) = path.split_last()?;
    let mut node = value;
    for &step in parent {
        node = match node {
            Value::Array(items) => &items[step],
            Value::Map(entries) => {
                let entry = &entries[step / 2];
                if step % 2 == 0 {
                    &entry.0
                } else {
                    &entry.1
                }
            }
            _ => return None,
        };
    }
    match node {
        Value::Map(entries) if last % 2 == 1 => entries[last / 2].0.as_str(),
        _ => None,
    }
}

/// Whether any frame is over the size limit: then the server drops the connection unanswered.
pub fn oversized(message: &Message) -> bool {
    message.iter().any(|frame| frame.len() > MAX_FRAME)
}

// ---------------------------------------------------------------------------------------------
// Talking to the server

static MONITORS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A DEALER connection with a monitor that reports when the server drops it.
pub struct Conn {
    socket: zmq::Socket,
    monitor: zmq::Socket,
}

impl Conn {
    pub fn open(context: &zmq::Context, endpoint: &str) -> Conn {
        let socket = context.socket(zmq::DEALER).expect("DEALER socket");
        socket.set_linger(0).unwrap();
        socket.set_sndtimeo(10_000).unwrap();
        let n = MONITORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let address = format!("inproc://fuzz-monitor-{}-{n}", std::process::id());
        socket
            .monitor(&address, zmq::SocketEvent::DISCONNECTED as i32)
            .expect("monitor the connection");
        let monitor = context.socket(zmq::PAIR).expect("PAIR socket");
        monitor.set_linger(0).unwrap();
        monitor.connect(&address).expect("connect the monitor");
        socket.connect(endpoint).expect("connect");
        Conn { socket, monitor }
    }

    pub fn send(&self, message: &Message) {
        self.socket
            .send_multipart(message.iter().map(Vec::as_slice), 0)
            .expect("send (the server stopped reading?)");
    }

    /// The next reply, or None when none comes within `timeout`. Signs of life for requests
    /// that asked for them (`keepalive_ms`) are skipped: they are not answers, as for libfaissx.
    pub fn recv(&self, timeout: Duration) -> Option<Message> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ready = self
                .socket
                .poll(zmq::POLLIN, left.as_millis() as i64)
                .expect("poll");
            if ready == 0 {
                return None;
            }
            let reply = self.socket.recv_multipart(0).expect("recv");
            let header = reply.first().and_then(|h| decode::<Reply>(h).ok());
            if !header.is_some_and(|r| matches!(r.result, Ok(Answer::Working))) {
                return Some(reply);
            }
        }
    }

    /// Whether the server dropped the connection within `timeout`.
    pub fn dropped(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if self
                .monitor
                .poll(zmq::POLLIN, left.as_millis() as i64)
                .expect("poll")
                == 0
            {
                return false;
            }
            let event = self.monitor.recv_multipart(0).expect("monitor event");
            let code = u16::from_le_bytes([event[0][0], event[0][1]]);
            if code == zmq::SocketEvent::DISCONNECTED.to_raw() {
                return true;
            }
        }
    }
}

/// The id field of a header, when the fields before the operation are readable.
#[derive(serde::Deserialize)]
struct Credentials {
    id: u64,
}

/// The id a reply to `message` should carry: the request's, else that of the readable fields
/// before the operation, else 0.
pub fn expected_id(message: &Message) -> u64 {
    let header = message.first().map_or(&[][..], Vec::as_slice);
    decode::<Request>(header)
        .map(|r| r.id)
        .or_else(|_| decode::<Credentials>(header).map(|c| c.id))
        .unwrap_or(0)
}

/// Checks a reply against the message it answers: it decodes, names this protocol version,
/// and echoes the request's id; a header that does not decode as a request gets an error (under
/// id 0, or whatever id the server could read from it). Returns the result, for the statistics.
pub fn check_reply(sent: &Message, reply: &Message) -> Result<Result<Answer, WireError>, String> {
    let head = reply.first().ok_or("an empty reply")?;
    let decoded: Reply =
        decode(head).map_err(|e| format!("the reply does not decode: {}", e.message))?;
    if decoded.version != PROTOCOL_VERSION {
        return Err(format!("the reply has version {}", decoded.version));
    }
    match decode::<Request>(&sent[0]) {
        Ok(request) if decoded.id != request.id => Err(format!(
            "the reply has id {}, the request {}",
            decoded.id, request.id
        )),
        Err(_) if decoded.result.is_ok() => Err(format!(
            "a header that does not decode was served: {:?}",
            decoded.result
        )),
        _ => Ok(decoded.result),
    }
}

/// What a run saw, for its summary line.
#[derive(Default)]
pub struct Stats {
    /// Messages sent, counting from 1 (so including `skipped`).
    pub sent: u64,
    /// Messages generated but not sent: the run carries on after a crash.
    pub skipped: u64,
    /// Sent by clients that left without waiting for the reply, and raw TCP connections.
    pub unanswered: u64,
    pub ok: u64,
    pub errors: std::collections::BTreeMap<String, u64>,
    pub dropped: u64,
    pub slow: Vec<(u64, Duration, PathBuf)>,
    /// Server errors: the server's own failure (a caught panic), never the client's.
    pub server_errors: Vec<(u64, String, PathBuf)>,
    /// Per operation ("-" for an unreadable header): messages, total and longest time.
    pub time: std::collections::BTreeMap<&'static str, (u64, Duration, Duration)>,
}

impl Stats {
    pub fn record(&mut self, sent: &Message, took: Duration, result: &Result<Answer, WireError>) {
        let op = decode::<Request>(&sent[0]).map_or("-", |r| op_name(&r.op));
        let entry = self.time.entry(op).or_default();
        entry.0 += 1;
        entry.1 += took;
        entry.2 = entry.2.max(took);
        match result {
            Ok(_) => self.ok += 1,
            Err(error) => *self.errors.entry(format!("{:?}", error.kind)).or_default() += 1,
        }
    }

    pub fn summary(&self, seed: u64, elapsed: Duration) -> String {
        format!(
            "fuzz: seed {seed}: {} messages (up to {}) in {:.1} s ({:.0}/s); {} succeeded, errors \
             {:?}, {} over the size limit (connection dropped), {} left unanswered; {} slow; {} \
             server errors",
            self.sent - self.skipped,
            self.sent,
            elapsed.as_secs_f64(),
            (self.sent - self.skipped) as f64 / elapsed.as_secs_f64().max(1e-9),
            self.ok,
            self.errors,
            self.dropped,
            self.unanswered,
            self.slow.len(),
            self.server_errors.len(),
        )
    }

    /// Where the time went: the operations that took longest in all.
    pub fn time_report(&self) -> String {
        let mut rows: Vec<_> = self.time.iter().collect();
        rows.sort_by_key(|(_, (_, total, _))| std::cmp::Reverse(*total));
        let rows: Vec<String> = rows
            .iter()
            .take(8)
            .map(|(op, (n, total, max))| format!("{op} {n}x {total:.1?} (max {max:.1?})"))
            .collect();
        format!("fuzz: time by operation: {}", rows.join(", "))
    }
}

/// A control request (setup, canary, ping) on `conn`, answered by id.
pub fn control(
    conn: &Conn,
    id: &mut u64,
    tenant: &str,
    op: Op,
    payload: Message,
) -> Result<(Result<Answer, WireError>, Message), String> {
    *id += 1;
    let request = Request {
        version: PROTOCOL_VERSION,
        id: CONTROL_IDS + *id,
        api_key: None,
        tenant: Some(tenant.to_string()),
        keepalive_ms: None,
        session: None,
        op,
    };
    let mut message = vec![encode(&request)];
    message.extend(payload);
    conn.send(&message);
    let reply = conn
        .recv(HANG)
        .ok_or_else(|| format!("no reply to {:?} within {HANG:?}", request.op))?;
    let reply_header: Reply = decode(&reply[0]).map_err(|e| e.message)?;
    if reply_header.id != request.id {
        return Err(format!(
            "reply to id {} while waiting for {} ({:?})",
            reply_header.id, request.id, request.op
        ));
    }
    Ok((reply_header.result, reply[1..].to_vec()))
}

/// Deletes every index of the fuzzed tenants and creates the known ones again.
pub fn reset_world(conn: &Conn, id: &mut u64) -> Result<(), String> {
    for tenant in TENANTS {
        let (listed, _) = control(conn, id, tenant, Op::List, vec![])?;
        let Ok(Answer::Names(names)) = listed else {
            return Err(format!("List answered {listed:?}"));
        };
        for name in names {
            // Deleting a quantizer before its IVF is fine: the IVF keeps it alive.
            let (deleted, _) = control(
                conn,
                id,
                tenant,
                Op::Delete {
                    index: name.clone(),
                },
                vec![],
            )?;
            if let Err(error) = deleted {
                return Err(format!("Delete {name:?} in {tenant}: {error:?}"));
            }
        }
    }
    run_steps(conn, id, world_setup())
}

pub fn run_steps(conn: &Conn, id: &mut u64, steps: Vec<Step>) -> Result<(), String> {
    for step in steps {
        let description = format!("{:?}", step.op);
        let (result, _) = control(conn, id, step.tenant, step.op, step.payload)?;
        if let Err(error) = result {
            return Err(format!("setup step {description} failed: {error:?}"));
        }
    }
    Ok(())
}

/// Ping on the connection under test, then the canary search.
pub fn health_check(conn: &Conn, id: &mut u64) -> Result<(), String> {
    let (pong, _) = control(conn, id, TENANTS[0], Op::Ping, vec![])?;
    if pong != Ok(Answer::Done) {
        return Err(format!("Ping answered {pong:?}"));
    }
    let (op, payload) = canary_search();
    let (result, frames) = control(conn, id, CANARY_TENANT, op, payload)?;
    check_canary(&result, &frames)
}

/// A random rotation (or an untrained PCA) from `d_in` to `d_out`, serialized as libfaissx
/// sends it for IndexPreTransform_new_with_transform.
pub fn serialized_transform(d_in: i32, d_out: i32, pca: bool) -> Vec<u8> {
    use faissx::ffi::vector_transform::*;
    let mut vt = std::ptr::null_mut();
    // SAFETY: constructors write a fresh transform, serialized then freed here.
    unsafe {
        let rc = if pca {
            faissx_PCAMatrix_new_with(&mut vt, d_in, d_out, 0.0, 0)
        } else {
            faissx_RandomRotationMatrix_new_with(&mut vt, d_in, d_out)
        };
        assert_eq!(rc, 0, "a transform for the fuzzer");
        let (mut size, mut buf) = (0usize, std::ptr::null_mut());
        let rc = faissx::local::shim::faissx_shim_write_VectorTransform(
            vt.cast_const().cast(),
            &mut size,
            &mut buf,
        );
        assert_eq!(rc, 0, "serialize a transform");
        let bytes = std::slice::from_raw_parts(buf, size).to_vec();
        libc::free(buf.cast());
        faissx_VectorTransform_free(vt.cast());
        bytes
    }
}
