{
  "variables": {
    # checkout: the repository's own libfaissx (npm run build, run_tests.sh);
    # prebuilt: the addon shipped in the npm package, next to its copy of libfaissx (scripts/prebuild.js);
    # prefix: an installed libfaissx, when no prebuilt addon fits (scripts/install.js).
    "faissx_mode%": "checkout",
    "faissx_lib_dir%": "<(module_root_dir)/../../target/release",
    "faissx_include_dir%": "<(module_root_dir)/../../include",
    # prebuilt only: the file name of the shipped libfaissx (its SONAME), recorded as NEEDED; not
    # named *_file, which gyp would take for a path relative to this file.
    "faissx_soname%": "libfaissx.so.0",
  },
  "targets": [
    {
      "target_name": "faissx",
      "sources": ["src/faissx_node.c"],
      "include_dirs": ["<(faissx_include_dir)"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra"],
      "conditions": [
        ["faissx_mode=='checkout'", {
          "libraries": [
            "-L<(faissx_lib_dir)",
            "-lfaissx",
            # build/Release/faissx.node finds ../../target/release/libfaissx.so relative to itself,
            # so the checkout can move; LD_LIBRARY_PATH still takes precedence (RUNPATH).
            "-Wl,-rpath,'$$ORIGIN/../../../../target/release'",
            "-Wl,-rpath,<(faissx_lib_dir)",
          ],
        }],
        ["faissx_mode=='prebuilt'", {
          # Only $ORIGIN: the package's folder, wherever npm puts it; never a path of this machine.
          "libraries": ["-L<(faissx_lib_dir)", "-l:<(faissx_soname)", "-Wl,-rpath,'$$ORIGIN'"],
        }],
        ["faissx_mode=='prefix'", {
          "libraries": ["-L<(faissx_lib_dir)", "-lfaissx", "-Wl,-rpath,<(faissx_lib_dir)"],
        }],
      ],
    }
  ]
}
