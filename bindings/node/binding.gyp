{
  "variables": {
    # The repository's libfaissx build; override with `--faissx_lib_dir=...` for another one.
    "faissx_lib_dir%": "<(module_root_dir)/../../target/release",
    "faissx_include_dir%": "<(module_root_dir)/../../include",
  },
  "targets": [
    {
      "target_name": "faissx",
      "sources": ["src/faissx_node.c"],
      "include_dirs": ["<(faissx_include_dir)"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra"],
      "libraries": [
        "-L<(faissx_lib_dir)",
        "-lfaissx",
        # build/Release/faissx.node finds ../../target/release/libfaissx.so relative to itself,
        # so the checkout can move; LD_LIBRARY_PATH still takes precedence (RUNPATH).
        "-Wl,-rpath,'$$ORIGIN/../../../../target/release'",
        "-Wl,-rpath,<(faissx_lib_dir)",
      ],
    }
  ]
}
