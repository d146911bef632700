//! Result tables, printed as Markdown so they can go into BENCHMARKS.md as they are.

use crate::workload::Stat;

pub struct Line {
    label: String,
    faissx: Stat,
    other: Stat,
    /// faissx/other from paired runs, where the two sides alternated call by call.
    paired: Option<f64>,
}

impl Line {
    pub fn new(label: &str, faissx: Stat, other: Stat, paired: Option<f64>) -> Self {
        Line {
            label: label.to_owned(),
            faissx,
            other,
            paired,
        }
    }
}

pub fn duration(secs: f64) -> String {
    if secs < 1e-3 {
        format!("{:.1} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{secs:.2} s")
    }
}

/// A table with the other side's median time, faissx's, faissx/other as a ratio of medians,
/// and a second ratio that holds up better on a busy machine: the median of paired ratios
/// where the sides alternated call by call, else the ratio of the fastest runs. Ratios above
/// `target` are marked so they stand out in a long run.
pub fn print_table(title: &str, other: &str, ratio: &str, target: f64, lines: &[Line]) {
    let robust = if lines.iter().all(|l| l.paired.is_some()) {
        "paired"
    } else {
        "fastest runs"
    };
    println!("\n## {title}\n");
    println!("| workload | {other} | faissx | {ratio} | {ratio}, {robust} |");
    println!("|---|---:|---:|---:|---:|");
    let mark = |r: f64| if r > target { " ⚠" } else { "" };
    for line in lines {
        let r = line.faissx.median / line.other.median;
        let r2 = line.paired.unwrap_or(line.faissx.min / line.other.min);
        println!(
            "| {} | {} | {} | {r:.3}{} | {r2:.3}{} |",
            line.label,
            duration(line.other.median),
            duration(line.faissx.median),
            mark(r),
            mark(r2),
        );
    }
    println!("\nTimes are medians. ⚠: above the target of {target:.2}.");
}
