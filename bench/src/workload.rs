//! The workload, one procedure for every side: what is built, how often each thing is timed,
//! and in which order the sides take turns. The Python wheel gets the same numbers through
//! `params.json` (see `params`), so the procedure lives here only.

use crate::data::{Data, D};
use crate::sides::{Lib, Side};
use std::path::Path;
use std::time::Duration;

pub const K: usize = 10;
/// Batch size, and the pool the single-query searches cycle through.
pub const N_QUERIES: usize = 1000;
pub const N_LARGE: usize = 100_000;
const SINGLE_RUNS: usize = N_QUERIES;
const WARMUP: usize = 20;
const ADD_RUNS: usize = 5;
const BUILD_RUNS: usize = 3;

pub enum Kind {
    Flat,
    /// An index_factory string, whether it needs training, and its search-time parameter.
    Factory {
        description: &'static str,
        trains: bool,
        param: &'static str,
        value: usize,
    },
}

pub struct Suite {
    pub key: &'static str,
    pub title: &'static str,
    pub n: usize,
    pub kind: Kind,
    pub batch_runs: usize,
}

pub fn suites() -> Vec<Suite> {
    vec![
        // Search here costs about a microsecond, so this row shows what a call costs on top.
        Suite {
            key: "flat100",
            title: "IndexFlatL2 d=128, 100 vectors (call cost)",
            n: 100,
            kind: Kind::Flat,
            batch_runs: 15,
        },
        Suite {
            key: "flat10k",
            title: "IndexFlatL2 d=128, 10k",
            n: 10_000,
            kind: Kind::Flat,
            batch_runs: 15,
        },
        Suite {
            key: "flat100k",
            title: "IndexFlatL2 d=128, 100k",
            n: N_LARGE,
            kind: Kind::Flat,
            batch_runs: 5,
        },
        Suite {
            key: "ivf",
            title: "IVF1024,Flat nprobe=16, 100k",
            n: N_LARGE,
            kind: Kind::Factory {
                description: "IVF1024,Flat",
                trains: true,
                param: "nprobe",
                value: 16,
            },
            batch_runs: 15,
        },
        Suite {
            key: "hnsw",
            title: "HNSW32 efSearch=64, 100k",
            n: N_LARGE,
            kind: Kind::Factory {
                description: "HNSW32",
                trains: false,
                param: "efSearch",
                value: 64,
            },
            batch_runs: 15,
        },
    ]
}

/// Everything the Python side needs to run the same procedure.
pub fn params() -> serde_json::Value {
    let suites: Vec<serde_json::Value> = suites()
        .iter()
        .map(|s| {
            let mut v = serde_json::json!({
                "key": s.key, "n": s.n, "batch_runs": s.batch_runs,
            });
            if let Kind::Factory {
                description,
                trains,
                param,
                value,
            } = s.kind
            {
                v["factory"] = description.into();
                v["trains"] = trains.into();
                v["param"] = param.into();
                v["value"] = value.into();
            }
            v
        })
        .collect();
    serde_json::json!({
        "d": D, "k": K, "n_queries": N_QUERIES, "single_runs": SINGLE_RUNS, "warmup": WARMUP,
        "add_runs": ADD_RUNS, "build_runs": BUILD_RUNS, "suites": suites,
    })
}

/// Seconds, over a row's repetitions.
#[derive(Clone, Copy)]
pub struct Stat {
    pub median: f64,
    /// The least disturbed run: on a busy machine, the fairer estimate of what a call costs.
    pub min: f64,
}

/// One line of a result table: a [`Stat`] per side, in the order of the `libs` given.
pub struct Row {
    pub key: String,
    pub label: String,
    pub stats: Vec<Stat>,
    /// With two sides: the median over runs of side 1's time / side 0's in the same run. The
    /// two calls of a run are adjacent in time, so a burst of load from other processes
    /// slows both and drops out of their ratio, where it would shift one side's median.
    pub paired_ratio: Option<f64>,
}

/// Runs `f(side, run, position)` `runs` times per side, rotating which side goes first (at
/// position 0), so that neither profits from going second (warm caches) or first (CPU boost
/// after idling).
fn alternate(
    sides: usize,
    runs: usize,
    mut f: impl FnMut(usize, usize, usize) -> Duration,
) -> Vec<Vec<Duration>> {
    let mut times = vec![Vec::with_capacity(runs); sides];
    for run in 0..runs {
        for position in 0..sides {
            let side = (run + position) % sides;
            times[side].push(f(side, run, position));
        }
    }
    times
}

pub fn stat(times: Vec<Duration>) -> Stat {
    let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    Stat {
        min: secs.iter().copied().fold(f64::INFINITY, f64::min),
        median: median(secs),
    }
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn row(key: String, label: String, times: Vec<Vec<Duration>>) -> Row {
    let paired_ratio = match &times[..] {
        [a, b] => Some(median(
            a.iter()
                .zip(b)
                .map(|(a, b)| b.as_secs_f64() / a.as_secs_f64())
                .collect(),
        )),
        _ => None,
    };
    let stats = times.into_iter().map(stat).collect();
    Row {
        key,
        label,
        stats,
        paired_ratio,
    }
}

/// Hands freed memory back to the kernel before a timed build step. Adding copies vectors into
/// fresh buffers, and whether malloc serves them from recycled pages or from new ones (a page
/// fault per 4 KiB) depends on which sides freed what before: up to 10x on the 10k add. After
/// a trim every side starts from new pages. `python_bench.py` does the same. For the same
/// reason each run of a build starts by freeing every side's previous index, so that which
/// side allocates first (alternating) decides where in the heap its buffers land, not which
/// side held on to its last index. Small adds still differ by up to 10% between two
/// identical sides (`control`): page-fault cost varies from run to run.
fn trim_heap() {
    unsafe { libc::malloc_trim(0) };
}

/// The indexes that searches run on: per suite, one FAISS object (`owners`) and a handle on
/// it per side (`views`).
pub struct Built {
    owners: Vec<Box<dyn Side>>,
    views: Vec<Vec<Box<dyn Side>>>,
}

/// Builds every suite on every side (timing add, and train where there is one). Searches then
/// all run on one object per suite, owned by faissx: with two copies, malloc's placement
/// alone (a 64-byte-aligned `xb` against one 48 bytes off) moved 1-query times by 5% between
/// two *faissx* sides in the `control` mode. IVF and HNSW go through a file first,
/// `dir/<key>.index`, which the Python wheel and any later round load too: trained and
/// multi-threaded builds are not bit-reproducible, and every side must walk the same lists
/// and graph.
pub fn build(libs: &[Lib], data: &Data, dir: &Path) -> (Vec<Row>, Built) {
    let mut rows = Vec::new();
    let mut built = Built {
        owners: Vec::new(),
        views: Vec::new(),
    };
    let faissx = libs
        .iter()
        .position(|&l| l == Lib::Faissx)
        .expect("faissx is a side");
    for suite in suites() {
        let x = &data.base[..suite.n * D];
        let mut last: Vec<Option<Box<dyn Side>>> = libs.iter().map(|_| None).collect();
        match suite.kind {
            Kind::Flat => {
                let times = alternate(libs.len(), ADD_RUNS, |s, _, position| {
                    if position == 0 {
                        last.iter_mut().for_each(|index| *index = None);
                    }
                    let mut index = libs[s].flat_l2();
                    trim_heap();
                    let t = index.add(x);
                    last[s] = Some(index);
                    t
                });
                let label = format!("{}: add all (median of {ADD_RUNS})", suite.title);
                rows.push(row(format!("{}.add", suite.key), label, times));
            }
            Kind::Factory {
                description,
                trains,
                ..
            } => {
                let mut train_times = vec![Vec::new(); libs.len()];
                let add_times = alternate(libs.len(), BUILD_RUNS, |s, _, position| {
                    if position == 0 {
                        last.iter_mut().for_each(|index| *index = None);
                    }
                    let mut index = libs[s].factory(description);
                    if trains {
                        trim_heap();
                        train_times[s].push(index.train(x));
                    }
                    trim_heap();
                    let t = index.add(x);
                    last[s] = Some(index);
                    t
                });
                if trains {
                    let label = format!("{}: train (median of {BUILD_RUNS})", suite.title);
                    rows.push(row(format!("{}.train", suite.key), label, train_times));
                }
                let label = format!("{}: add all (median of {BUILD_RUNS})", suite.title);
                rows.push(row(format!("{}.add", suite.key), label, add_times));
            }
        }
        let mut owner = last.swap_remove(faissx).expect("built");
        drop(last);
        if let Kind::Factory { param, value, .. } = suite.kind {
            let path = dir.join(format!("{}.index", suite.key));
            // The first build of a run writes the file; later rounds search it too.
            if !path.exists() {
                owner.save(&path);
            }
            owner = Lib::Faissx.read(&path);
            owner.set_param(param, value);
        }
        built
            .views
            .push(libs.iter().map(|lib| lib.view(&*owner)).collect());
        built.owners.push(owner);
    }
    (rows, built)
}

/// Batch labels of one suite, per side: the results the timings were taken on.
pub struct Labels {
    pub key: &'static str,
    pub per_side: Vec<Vec<i64>>,
}

/// Times 1-query and batch searches on every side, alternating sides call by call.
pub fn search(built: &mut Built, data: &Data) -> (Vec<Row>, Vec<Labels>) {
    // Sides at different positions in a run take queries half the pool apart, so no search
    // repeats the one just before it (its lists and graph nodes would still be in cache);
    // over SINGLE_RUNS = N_QUERIES runs every side still gets each query once.
    let n_sides = built.views.first().map_or(1, Vec::len);
    let query = |run: usize, position: usize| {
        let i = (run + position * N_QUERIES / n_sides) % N_QUERIES;
        &data.queries[i * D..(i + 1) * D]
    };
    let batch = &data.queries[..N_QUERIES * D];
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for (suite, sides) in suites().into_iter().zip(&mut built.views) {
        let n = sides.len();
        alternate(n, WARMUP, |s, run, pos| {
            sides[s].search(query(run, pos), K).0
        });
        let single = alternate(n, SINGLE_RUNS, |s, run, pos| {
            sides[s].search(query(run, pos), K).0
        });
        let label = format!(
            "{}: 1-query search k={K} (median of {SINGLE_RUNS})",
            suite.title
        );
        rows.push(row(format!("{}.search1", suite.key), label, single));

        let mut last = vec![Vec::new(); n];
        alternate(n, 1, |s, _, _| sides[s].search(batch, K).0);
        let times = alternate(n, suite.batch_runs, |s, _, _| {
            let (t, l) = sides[s].search(batch, K);
            last[s] = l;
            t
        });
        let label = format!(
            "{}: {N_QUERIES}-query search k={K} (median of {})",
            suite.title, suite.batch_runs
        );
        rows.push(row(
            format!("{}.search{N_QUERIES}", suite.key),
            label,
            times,
        ));
        labels.push(Labels {
            key: suite.key,
            per_side: last,
        });
    }
    (rows, labels)
}

/// Share of positions where `b` has the same label as `a`.
pub fn agreement(a: &[i64], b: &[i64]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len().max(b.len()).max(1) as f64
}
