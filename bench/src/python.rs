//! faissx against Python's faiss-cpu wheel. The wheel runs in its own process
//! (`bench/python_bench.py`), so calls cannot alternate as in `local`; whole rounds (build and
//! search) alternate instead — faissx, wheel, wheel, faissx — and each row is the mean of a
//! side's two rounds, which cancels drift that is linear in time (load from other processes,
//! CPU frequency).

use crate::data::{self, Data};
use crate::report::{print_table, Line};
use crate::sides::Lib;
use crate::workload::{self, Stat};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python_bench.py");

/// One run of the Python script: its timings by row key (`{"median": s, "min": s}`), and
/// facts about the wheel.
struct Wheel {
    rows: serde_json::Map<String, Value>,
    facts: serde_json::Map<String, Value>,
}

fn python() -> String {
    std::env::var("FAISSX_BENCH_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn wheel(dir: &Path) -> Result<Wheel, String> {
    let mut command = Command::new(python());
    command.arg(SCRIPT).arg(dir);
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", python()))?;
    if !output.status.success() {
        return Err(format!("{SCRIPT} failed ({})", output.status));
    }
    let mut json: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("{SCRIPT} printed no JSON: {e}"))?;
    let take = |v: &mut Value, key: &str| match v[key].take() {
        Value::Object(map) => Ok(map),
        _ => Err(format!("{SCRIPT}: no \"{key}\" object in its JSON")),
    };
    Ok(Wheel {
        rows: take(&mut json, "rows")?,
        facts: take(&mut json, "facts")?,
    })
}

pub fn run(data: &Data, dir: &Path) -> Result<(), String> {
    let io = |e: std::io::Error| format!("writing to {}: {e}", dir.display());
    data::write_f32(&dir.join("base.f32"), &data.base).map_err(io)?;
    data::write_f32(&dir.join("queries.f32"), &data.queries).map_err(io)?;
    std::fs::write(dir.join("params.json"), workload::params().to_string()).map_err(io)?;

    let faissx_round = || {
        let (mut rows, mut built) = workload::build(&[Lib::Faissx], data, dir);
        let (searches, labels) = workload::search(&mut built, data);
        rows.extend(searches);
        (rows, labels)
    };
    let (round1, labels) = faissx_round();
    let first = wheel(dir)?;
    let second = wheel(dir)?;
    let (round2, _) = faissx_round();

    println!("\n## Python wheel\n");
    for (key, value) in &first.facts {
        println!(
            "- {key}: {}",
            value.as_str().map_or(value.to_string(), str::to_owned)
        );
    }
    let stat = |w: &Wheel, key: &str| {
        let row = w.rows.get(key)?;
        Some(Stat {
            median: row["median"].as_f64()?,
            min: row["min"].as_f64()?,
        })
    };
    // Two rounds per side: the mean of their medians, the least of their minimums.
    let both = |a: Stat, b: Stat| Stat {
        median: (a.median + b.median) / 2.0,
        min: a.min.min(b.min),
    };
    let mut lines = Vec::new();
    for (a, b) in round1.iter().zip(&round2) {
        if let (Some(w1), Some(w2)) = (stat(&first, &a.key), stat(&second, &a.key)) {
            let label = format!("{}, 2 rounds", a.label);
            lines.push(Line::new(
                &label,
                both(a.stats[0], b.stats[0]),
                both(w1, w2),
                None,
            ));
        }
    }
    print_table(
        "faissx vs Python faiss-cpu wheel",
        "wheel",
        "faissx/wheel",
        1.10,
        &lines,
    );
    println!();
    for l in &labels {
        let path = dir.join(format!("wheel_{}.i64", l.key));
        match data::read_i64(&path) {
            Ok(wheel) => println!(
                "- {}: batch labels equal to the wheel's: {:.2}%",
                l.key,
                100.0 * workload::agreement(&l.per_side[0], &wheel)
            ),
            Err(e) => println!("- {}: no wheel labels ({e})", l.key),
        }
    }
    Ok(())
}
