//! The benchmark's vectors, from a fixed seed so every run, every side and the Python wheel
//! (which reads the same bytes from disk) see identical data.

use std::path::Path;

pub const D: usize = 128;

/// SplitMix64: tiny, fast, and good enough to fill vectors; the point is reproducibility.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal by Box-Muller; `1 - u` keeps the logarithm's argument above 0.
    fn gaussian(&mut self) -> f64 {
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

pub struct Data {
    /// `n_base * D` floats, row-major.
    pub base: Vec<f32>,
    /// `n_queries * D` floats, drawn apart from the base so no query is its own nearest neighbour.
    pub queries: Vec<f32>,
}

/// Points around 1000 random centres: uniform noise has no structure for IVF's k-means or
/// HNSW's graph to exploit, so a mixture keeps list sizes and graph walks closer to real
/// embeddings.
pub fn generate(n_base: usize, n_queries: usize) -> Data {
    const CENTRES: usize = 1000;
    const SPREAD: f64 = 0.3;
    let mut rng = Rng(0x5EED_FA15_5E11);
    let centres: Vec<f64> = (0..CENTRES * D)
        .map(|_| 2.0 * rng.uniform() - 1.0)
        .collect();
    let mut draw = |n: usize| -> Vec<f32> {
        let mut out = Vec::with_capacity(n * D);
        for _ in 0..n {
            let c = (rng.next_u64() % CENTRES as u64) as usize;
            let centre = &centres[c * D..(c + 1) * D];
            out.extend(centre.iter().map(|&x| (x + SPREAD * rng.gaussian()) as f32));
        }
        out
    };
    let base = draw(n_base);
    let queries = draw(n_queries);
    Data { base, queries }
}

/// Raw little-endian f32s, what `numpy.fromfile(path, "<f4")` reads.
pub fn write_f32(path: &Path, values: &[f32]) -> std::io::Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes)
}

/// Raw little-endian i64s, as `numpy.ndarray.tofile` writes int64 labels.
pub fn read_i64(path: &Path) -> std::io::Result<Vec<i64>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8-byte chunk")))
        .collect())
}
