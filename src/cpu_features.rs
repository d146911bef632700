// Included by build.rs (to read the C++ flags FAISS is compiled with) and by src/cpu.rs (to
// check the running CPU): one table, so every feature the build can require is one the check
// can detect.

/// The x86 instruction-set extensions a C/C++ build may be told to use: GCC's `-m` flag name,
/// then the name `is_x86_feature_detected!` knows it by (also the name the refusal prints).
// The library reads only the second names, through `cpu_has`; build.rs and the tests read this.
#[allow(dead_code)]
pub(crate) const CPU_FEATURES: &[(&str, &str)] = &[
    ("sse3", "sse3"),
    ("ssse3", "ssse3"),
    ("sse4.1", "sse4.1"),
    ("sse4.2", "sse4.2"),
    ("popcnt", "popcnt"),
    ("avx", "avx"),
    ("avx2", "avx2"),
    ("fma", "fma"),
    ("f16c", "f16c"),
    ("bmi", "bmi1"),
    ("bmi2", "bmi2"),
    ("lzcnt", "lzcnt"),
    ("movbe", "movbe"),
    ("avx512f", "avx512f"),
    ("avx512bw", "avx512bw"),
    ("avx512cd", "avx512cd"),
    ("avx512dq", "avx512dq"),
    ("avx512vl", "avx512vl"),
    ("avx512vnni", "avx512vnni"),
    ("avx512vpopcntdq", "avx512vpopcntdq"),
    ("avx512bf16", "avx512bf16"),
    ("avx512fp16", "avx512fp16"),
];

/// Whether the running CPU (and the OS, for the AVX state) supports `feature`, by the second
/// name of `CPU_FEATURES`; None for a name outside the table.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub(crate) fn cpu_has(feature: &str) -> Option<bool> {
    // The macro takes literals only, hence one arm per feature.
    Some(match feature {
        "sse3" => std::is_x86_feature_detected!("sse3"),
        "ssse3" => std::is_x86_feature_detected!("ssse3"),
        "sse4.1" => std::is_x86_feature_detected!("sse4.1"),
        "sse4.2" => std::is_x86_feature_detected!("sse4.2"),
        "popcnt" => std::is_x86_feature_detected!("popcnt"),
        "avx" => std::is_x86_feature_detected!("avx"),
        "avx2" => std::is_x86_feature_detected!("avx2"),
        "fma" => std::is_x86_feature_detected!("fma"),
        "f16c" => std::is_x86_feature_detected!("f16c"),
        "bmi1" => std::is_x86_feature_detected!("bmi1"),
        "bmi2" => std::is_x86_feature_detected!("bmi2"),
        "lzcnt" => std::is_x86_feature_detected!("lzcnt"),
        "movbe" => std::is_x86_feature_detected!("movbe"),
        "avx512f" => std::is_x86_feature_detected!("avx512f"),
        "avx512bw" => std::is_x86_feature_detected!("avx512bw"),
        "avx512cd" => std::is_x86_feature_detected!("avx512cd"),
        "avx512dq" => std::is_x86_feature_detected!("avx512dq"),
        "avx512vl" => std::is_x86_feature_detected!("avx512vl"),
        "avx512vnni" => std::is_x86_feature_detected!("avx512vnni"),
        "avx512vpopcntdq" => std::is_x86_feature_detected!("avx512vpopcntdq"),
        "avx512bf16" => std::is_x86_feature_detected!("avx512bf16"),
        "avx512fp16" => std::is_x86_feature_detected!("avx512fp16"),
        _ => return None,
    })
}

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
pub(crate) fn cpu_has(_feature: &str) -> Option<bool> {
    None
}
