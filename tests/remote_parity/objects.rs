//! Parity scenarios of the objects that are not indexes: parameter spaces, clustering, transforms, results, selectors, buffers, distance utilities.

use super::*;
use faissx::ffi::clustering::*;
use faissx::ffi::distances::*;
use faissx::ffi::io::*;
use faissx::ffi::utils::*;
use std::ffi::CStr;
use std::os::raw::c_char;

fn code() -> i64 {
    faissx_get_last_error_code().into()
}

fn bytes(rec: &mut Record, what: &str, bytes: &[u8]) {
    rec.exact(what, bytes.iter().map(|&b| i64::from(b)));
}

/// A double, bit for bit.
fn double(rec: &mut Record, what: &str, value: f64) {
    rec.num(what, value.to_bits() as i64);
}

fn c_text(text: *const c_char) -> Vec<u8> {
    assert!(!text.is_null(), "{}", last_error());
    unsafe { CStr::from_ptr(text) }.to_bytes().to_vec()
}

fn parameter_spaces_built_through_the_c_api() {
    // The C API adds ranges to a space but no values to a range: a space is either empty (one
    // combination, which sets nothing) or has no combination at all, and faissx refuses a
    // combination number past n_combinations, where FAISS divides by zero.
    parity(|rec| {
        let (xb, xq) = data();
        let ivf = Index::factory(D, "IVF8,Flat", METRIC_L2);
        rec.made(ivf.ptr());
        ivf.train(&xb);
        ivf.add(&xb);
        set_parameter(&ivf, "nprobe", 3.0);
        let p = ivf.ptr();
        let space = parameter_space();
        let nprobe = || unsafe { faissx_IndexIVF_nprobe(p) } as i64;
        unsafe {
            let shown = stdout_of(|| faissx_ParameterSpace_display(space));
            bytes(rec, "display of an empty space", &shown);
            rec.num(
                "empty space: n_combinations",
                faissx_ParameterSpace_n_combinations(space) as i64,
            );
            let mut name = [b'#' as c_char; 8];
            rec.num(
                "empty space: combination_name(0)",
                faissx_ParameterSpace_combination_name(space, 0, name.as_mut_ptr(), name.len()),
            );
            rec.exact("empty space: name", name.iter().map(|&c| i64::from(c)));
            rec.num(
                "empty space: set_index_parameters_cno(0)",
                faissx_ParameterSpace_set_index_parameters_cno(space, p, 0),
            );
            rec.num("nprobe after combination 0", nprobe());
            rec.knn("search after combination 0", ivf.search(&xq, K));
            rec.num(
                "empty space: set_index_parameters_cno(1)",
                faissx_ParameterSpace_set_index_parameters_cno(space, p, 1),
            );
            rec.num("empty space: combination_name(1)", {
                faissx_ParameterSpace_combination_name(space, 1, name.as_mut_ptr(), name.len())
            });

            let range_name = cstr("nprobe");
            let mut range = ptr::null_mut();
            check(faissx_ParameterSpace_add_range(
                space,
                range_name.as_ptr(),
                &mut range,
            ));
            assert!(!range.is_null());
            bytes(
                rec,
                "range name",
                &c_text(faissx_ParameterRange_name(range)),
            );
            let (mut values, mut size) = (ptr::null_mut(), usize::MAX);
            faissx_ParameterRange_values(range, &mut values, &mut size);
            rec.num("range size", size as i64);
            let other = cstr("efSearch");
            rec.num(
                "add_range without asking for the range",
                faissx_ParameterSpace_add_range(space, other.as_ptr(), ptr::null_mut()),
            );
            let shown = stdout_of(|| faissx_ParameterSpace_display(space));
            bytes(rec, "display of two empty ranges", &shown);
            rec.num(
                "empty ranges: n_combinations",
                faissx_ParameterSpace_n_combinations(space) as i64,
            );
            rec.num(
                "empty ranges: combination_name(0)",
                faissx_ParameterSpace_combination_name(space, 0, name.as_mut_ptr(), name.len()),
            );
            rec.num(
                "empty ranges: set_index_parameters_cno(0)",
                faissx_ParameterSpace_set_index_parameters_cno(space, p, 0),
            );
            rec.num("nprobe untouched", nprobe());
            rec.knn("search after a refused combination", ivf.search(&xq, K));

            rec.num(
                "set_index_parameters_cno of a NULL index",
                faissx_ParameterSpace_set_index_parameters_cno(space, ptr::null_mut(), 0),
            );
            rec.num(
                "add_range with a NULL name",
                faissx_ParameterSpace_add_range(space, ptr::null(), ptr::null_mut()),
            );
            rec.num(
                "combination_name into NULL",
                faissx_ParameterSpace_combination_name(space, 0, ptr::null_mut(), 4),
            );
            faissx_clear_last_error();
            rec.num(
                "n_combinations of NULL",
                faissx_ParameterSpace_n_combinations(ptr::null()) as i64,
            );
            rec.num("n_combinations of NULL: code", code());
            faissx_clear_last_error();
            rec.flag(
                "name of a NULL range",
                faissx_ParameterRange_name(ptr::null()).is_null(),
            );
            rec.num("name of a NULL range: code", code());
            faissx_clear_last_error();
            faissx_ParameterRange_values(ptr::null_mut(), &mut values, &mut size);
            rec.num("values of a NULL range: code", code());
            faissx_clear_last_error();
            faissx_ParameterSpace_display(ptr::null());
            rec.num("display of NULL: code", code());
            faissx_ParameterSpace_free(space);
        }
    });
}

/// FAISS's `ClusteringIterationStats` is {float obj; double time, time_search,
/// imbalance_factor; int nsplit}; the C API hands out the first record only, so walking the
/// array needs the stride of that C layout.
#[repr(C)]
struct IterationStatsLayout {
    obj: f32,
    time: f64,
    time_search: f64,
    imbalance_factor: f64,
    nsplit: c_int,
}

fn clustering_fields(rec: &mut Record, what: &str, c: *const FaissClustering) {
    let what = |field: &str| format!("{what}: {field}");
    unsafe {
        rec.num(&what("d"), faissx_Clustering_d(c) as i64);
        rec.num(&what("k"), faissx_Clustering_k(c) as i64);
        rec.num(&what("niter"), faissx_Clustering_niter(c));
        rec.num(&what("nredo"), faissx_Clustering_nredo(c));
        rec.num(&what("verbose"), faissx_Clustering_verbose(c));
        rec.num(&what("spherical"), faissx_Clustering_spherical(c));
        rec.num(&what("int_centroids"), faissx_Clustering_int_centroids(c));
        rec.num(&what("update_index"), faissx_Clustering_update_index(c));
        rec.num(
            &what("frozen_centroids"),
            faissx_Clustering_frozen_centroids(c),
        );
        rec.num(
            &what("min_points_per_centroid"),
            faissx_Clustering_min_points_per_centroid(c),
        );
        rec.num(
            &what("max_points_per_centroid"),
            faissx_Clustering_max_points_per_centroid(c),
        );
        rec.num(&what("seed"), faissx_Clustering_seed(c));
        rec.num(
            &what("decode_block_size"),
            faissx_Clustering_decode_block_size(c) as i64,
        );
    }
}

/// What a trained clustering holds: its centroids and each iteration's statistics (all but
/// the timings, which are the clock's).
fn clustering_results(rec: &mut Record, what: &str, c: *mut FaissClustering) {
    let (mut centroids, mut size) = (ptr::null_mut(), usize::MAX);
    unsafe { faissx_Clustering_centroids(c, &mut centroids, &mut size) };
    rec.floats(&format!("{what}: centroids"), unsafe {
        std::slice::from_raw_parts(centroids, size)
    });
    let (mut stats, mut n) = (ptr::null_mut(), usize::MAX);
    unsafe { faissx_Clustering_iteration_stats(c, &mut stats, &mut n) };
    rec.num(&format!("{what}: iterations"), n as i64);
    for i in 0..n {
        let s = stats
            .cast::<u8>()
            .wrapping_add(i * std::mem::size_of::<IterationStatsLayout>())
            .cast::<FaissClusteringIterationStats>();
        unsafe {
            rec.floats(
                &format!("{what}: obj {i}"),
                &[faissx_ClusteringIterationStats_obj(s)],
            );
            double(
                rec,
                &format!("{what}: imbalance {i}"),
                faissx_ClusteringIterationStats_imbalance_factor(s),
            );
            rec.num(
                &format!("{what}: nsplit {i}"),
                faissx_ClusteringIterationStats_nsplit(s),
            );
            let time = faissx_ClusteringIterationStats_time(s);
            let search = faissx_ClusteringIterationStats_time_search(s);
            assert!(time >= search && search >= 0.0, "{what}: {time} {search}");
        }
    }
}

fn clustering_with_indexes_of_each_mode() {
    // k-means assigns with the index it is given: a flat one of either mode, or any other
    // (here an fp16 scalar quantizer, trained from birth), whose every iteration is then a
    // search and an add on the server in remote mode.
    parity(|rec| {
        let (xb, _) = data();
        let mut defaults = FaissClusteringParameters {
            niter: -7,
            ..Default::default()
        };
        unsafe { faissx_ClusteringParameters_init(&mut defaults) };
        rec.exact(
            "default parameters",
            [
                defaults.niter,
                defaults.nredo,
                defaults.verbose,
                defaults.spherical,
                defaults.int_centroids,
                defaults.update_index,
                defaults.frozen_centroids,
                defaults.min_points_per_centroid,
                defaults.max_points_per_centroid,
                defaults.seed,
            ]
            .map(i64::from),
        );
        rec.num(
            "default decode_block_size",
            defaults.decode_block_size as i64,
        );
        // Fewer iterations, two runs kept by objective, and a sample of 8 * 100 of the 1000
        // points.
        let tuned = FaissClusteringParameters {
            niter: 6,
            nredo: 2,
            seed: 99,
            min_points_per_centroid: 5,
            max_points_per_centroid: 100,
            ..defaults
        };
        let spherical = FaissClusteringParameters {
            spherical: 1,
            niter: 10,
            ..defaults
        };
        let new = |params: Option<&FaissClusteringParameters>| {
            let mut c = ptr::null_mut();
            check(unsafe {
                match params {
                    Some(cp) => faissx_Clustering_new_with_params(&mut c, D as c_int, 8, cp),
                    None => faissx_Clustering_new(&mut c, D as c_int, 8),
                }
            });
            c
        };
        let sq_fp16 = || {
            let mut p = ptr::null_mut();
            let rc = unsafe {
                faissx_IndexScalarQuantizer_new_with(&mut p, D as idx_t, QT_fp16, METRIC_L2)
            };
            Index::from_new(rc, p.cast())
        };
        let runs: [(&str, Option<&FaissClusteringParameters>, Index); 5] = [
            ("default, flat", None, flat_with(D, METRIC_L2)),
            ("tuned, flat", Some(&tuned), flat_with(D, METRIC_L2)),
            (
                "spherical, flat IP",
                Some(&spherical),
                flat_with(D, METRIC_INNER_PRODUCT),
            ),
            ("default, SQfp16", None, sq_fp16()),
            ("tuned, SQfp16", Some(&tuned), sq_fp16()),
        ];
        for (what, params, index) in &runs {
            rec.made(index.ptr());
            // Something for k-means to clear first.
            index.add(&xb[..3 * D]);
            let c = new(*params);
            clustering_fields(rec, what, c);
            rec.num(&format!("{what}: train"), unsafe {
                faissx_Clustering_train(c, NB as idx_t, xb.as_ptr(), index.ptr())
            });
            clustering_results(rec, what, c);
            rec.num(&format!("{what}: index ntotal"), index.ntotal() as i64);
            rec.floats(
                &format!("{what}: index contents"),
                &reconstruct_n(index, 0, index.ntotal()),
            );
            unsafe { faissx_Clustering_free(c) };
        }

        // Refusals: fewer points than centroids, an index of another dimension, no points.
        let flat = flat_with(D, METRIC_L2);
        let narrow = flat_with(D / 2, METRIC_L2);
        let c = new(None);
        unsafe {
            rec.num(
                "train on 3 points",
                faissx_Clustering_train(c, 3, xb.as_ptr(), flat.ptr()),
            );
            rec.num(
                "train with an index of another dimension",
                faissx_Clustering_train(c, NB as idx_t, xb.as_ptr(), narrow.ptr()),
            );
            rec.num(
                "train on NULL",
                faissx_Clustering_train(c, NB as idx_t, ptr::null(), flat.ptr()),
            );
            rec.num(
                "train with a NULL index",
                faissx_Clustering_train(c, NB as idx_t, xb.as_ptr(), ptr::null_mut()),
            );
            rec.num("after refusals: flat ntotal", flat.ntotal() as i64);
            faissx_Clustering_free(c);
            rec.num(
                "new with NULL parameters",
                faissx_Clustering_new_with_params(&mut ptr::null_mut(), D as c_int, 8, ptr::null()),
            );
            faissx_clear_last_error();
            rec.num("k of NULL", faissx_Clustering_k(ptr::null()) as i64);
            rec.num("k of NULL: code", code());
            faissx_clear_last_error();
            rec.floats(
                "obj of NULL",
                &[faissx_ClusteringIterationStats_obj(ptr::null())],
            );
            rec.num("obj of NULL: code", code());
            faissx_clear_last_error();
            faissx_ClusteringParameters_init(ptr::null_mut());
            rec.num("init of NULL: code", code());
            faissx_Clustering_free(ptr::null_mut());
        }

        let mut centroids = vec![f32::NAN; 8 * D];
        let mut error = f32::NAN;
        rec.num("kmeans_clustering", unsafe {
            faissx_kmeans_clustering(D, NB, 8, xb.as_ptr(), centroids.as_mut_ptr(), &mut error)
        });
        rec.floats("kmeans centroids", &centroids);
        rec.floats("kmeans error", &[error]);
        rec.num("kmeans_clustering into NULL", unsafe {
            faissx_kmeans_clustering(D, NB, 8, xb.as_ptr(), ptr::null_mut(), ptr::null_mut())
        });
    });
}

/// FAISS's process-wide IVF counters as each mode left them after one search; kept out of the
/// compared records (see `ivf_search_parameters_and_statistics`).
static IVF_STATS: Mutex<Vec<(bool, [usize; 4])>> = Mutex::new(Vec::new());

fn ivf_search_parameters_and_statistics() {
    parity(|rec| {
        let (xb, xq) = data();
        let ivf = Index::factory(D, "IVF8,Flat", METRIC_L2);
        rec.made(ivf.ptr());
        ivf.train(&xb);
        ivf.add(&xb);
        let mut p = ptr::null_mut();
        check(unsafe { faissx_SearchParametersIVF_new(&mut p) });
        let params = Params(p.cast());
        let settings = |rec: &mut Record, what: &str| unsafe {
            rec.num(
                &format!("{what}: nprobe"),
                faissx_SearchParametersIVF_nprobe(p) as i64,
            );
            rec.num(
                &format!("{what}: max_codes"),
                faissx_SearchParametersIVF_max_codes(p) as i64,
            );
            rec.flag(
                &format!("{what}: no selector"),
                faissx_SearchParametersIVF_sel(p).is_null(),
            );
        };
        settings(rec, "new");
        rec.knn("new parameters", ivf.search_with_params(&xq, K, params.0));
        unsafe { faissx_SearchParametersIVF_set_nprobe(p, NLIST) };
        settings(rec, "nprobe 8");
        rec.knn("nprobe 8", ivf.search_with_params(&xq, K, params.0));
        // A budget of codes cuts the scan short, list by list.
        unsafe { faissx_SearchParametersIVF_set_max_codes(p, 40) };
        settings(rec, "max_codes 40");
        rec.knn("max_codes 40", ivf.search_with_params(&xq, K, params.0));
        rec.num(
            "the index's own nprobe",
            unsafe { faissx_IndexIVF_nprobe(ivf.ptr()) } as i64,
        );
        rec.range("range search", ivf.range_search(&xq, 0.02));

        let range = Selector::range(300, 800);
        let with_selector = ivf_params(Some(&range), NLIST);
        let q = with_selector.0.cast::<FaissSearchParametersIVF>();
        rec.flag("sel is the selector given", unsafe {
            std::ptr::eq(faissx_SearchParametersIVF_sel(q), range.0)
        });
        rec.knn(
            "selector, nprobe 8",
            ivf.search_with_params(&xq, K, with_selector.0),
        );
        let generic = generic_params(&range);
        unsafe {
            rec.flag(
                "IVF cast of IVF parameters",
                is_same(faissx_SearchParametersIVF_cast(params.0), p),
            );
            rec.flag(
                "IVF cast of generic parameters",
                faissx_SearchParametersIVF_cast(generic.0).is_null(),
            );
            faissx_clear_last_error();
            rec.flag(
                "IVF cast of NULL",
                faissx_SearchParametersIVF_cast(ptr::null_mut()).is_null(),
            );
            rec.num("IVF cast of NULL: code", code());
            faissx_clear_last_error();
            rec.num(
                "nprobe of NULL",
                faissx_SearchParametersIVF_nprobe(ptr::null()) as i64,
            );
            rec.num("nprobe of NULL: code", code());
            faissx_clear_last_error();
            faissx_SearchParametersIVF_set_max_codes(ptr::null_mut(), 3);
            rec.num("set_max_codes of NULL: code", code());
            rec.num(
                "new into NULL",
                faissx_SearchParametersIVF_new(ptr::null_mut()),
            );
        }

        // FAISS counts the IVF searches of its process; a remote search runs in the server's.
        let stats = unsafe { faissx_get_indexIVF_stats() };
        rec.flag("stats", !stats.is_null());
        unsafe { faissx_IndexIVFStats_reset(stats) };
        let zeroed = unsafe { *stats };
        rec.exact(
            "stats after reset",
            [zeroed.nq, zeroed.nlist, zeroed.ndis, zeroed.nheap_updates].map(|v| v as i64),
        );
        ivf.search_with_params(&xq, K, params.0);
        let counted = unsafe { *stats };
        IVF_STATS.lock().unwrap().push((
            rec.remote,
            [
                counted.nq,
                counted.nlist,
                counted.ndis,
                counted.nheap_updates,
            ],
        ));
        let mut own = FaissIndexIVFStats {
            nq: 5,
            ndis: 7,
            search_time: 1.5,
            ..Default::default()
        };
        unsafe { faissx_IndexIVFStats_init(&mut own) };
        rec.flag("init zeroes", own == FaissIndexIVFStats::default());
        unsafe {
            faissx_clear_last_error();
            faissx_IndexIVFStats_init(ptr::null_mut());
            rec.num("init of NULL: code", code());
            faissx_clear_last_error();
            faissx_IndexIVFStats_reset(ptr::null_mut());
            rec.num("reset of NULL: code", code());
        }
    });
    let runs = std::mem::take(&mut *IVF_STATS.lock().unwrap());
    let of = |remote: bool| runs.iter().find(|r| r.0 == remote).unwrap().1;
    let (local, remote) = (of(false), of(true));
    assert_eq!(local[0], NQ, "a local IVF search counts its queries");
    // As the README says: FAISS's statistics are the process's, and a remote IVF search runs
    // in the server's (which exports its own on /metrics, tests/server_metrics.rs).
    assert!(
        remote.iter().all(|&count| count == 0),
        "a remote search counted in this process: {remote:?}"
    );
}

fn vector_transforms_before_indexes_of_each_mode() {
    parity(|rec| {
        let (xb, xq) = data();
        let mut made: Vec<(&str, *mut FaissVectorTransform)> = Vec::new();
        unsafe {
            let mut pca = ptr::null_mut();
            check(faissx_PCAMatrix_new_with(&mut pca, D as c_int, 8, 0.0, 0));
            made.push(("PCA", pca.cast()));
            let mut whitening = ptr::null_mut();
            check(faissx_PCAMatrix_new_with(
                &mut whitening,
                D as c_int,
                8,
                -0.5,
                1,
            ));
            for (name, m) in [("PCA", pca), ("whitening PCA", whitening)] {
                rec.floats(
                    &format!("{name}: eigen_power"),
                    &[faissx_PCAMatrix_eigen_power(m)],
                );
                rec.num(
                    &format!("{name}: random_rotation"),
                    faissx_PCAMatrix_random_rotation(m),
                );
            }
            made.push(("whitening PCA", whitening.cast()));
            let mut rotation = ptr::null_mut();
            check(faissx_RandomRotationMatrix_new_with(
                &mut rotation,
                D as c_int,
                8,
            ));
            made.push(("rotation", rotation.cast()));
            let mut itq = ptr::null_mut();
            check(faissx_ITQMatrix_new_with(&mut itq, D as c_int));
            made.push(("ITQ matrix", itq.cast()));
            let mut itq_transform = ptr::null_mut();
            check(faissx_ITQTransform_new_with(
                &mut itq_transform,
                D as c_int,
                8,
                1,
            ));
            rec.num(
                "ITQ transform: do_pca",
                faissx_ITQTransform_do_pca(itq_transform),
            );
            made.push(("ITQ transform", itq_transform.cast()));
            let mut opq = ptr::null_mut();
            check(faissx_OPQMatrix_new_with(&mut opq, D as c_int, 4, -1));
            rec.exact(
                "OPQ defaults",
                [
                    faissx_OPQMatrix_verbose(opq),
                    faissx_OPQMatrix_niter(opq),
                    faissx_OPQMatrix_niter_pq(opq),
                ]
                .map(i64::from),
            );
            // Short training: OPQ's default is 50 rounds of 4 k-means iterations.
            faissx_OPQMatrix_set_verbose(opq, 0);
            faissx_OPQMatrix_set_niter(opq, 3);
            faissx_OPQMatrix_set_niter_pq(opq, 2);
            rec.exact(
                "OPQ settings",
                [
                    faissx_OPQMatrix_verbose(opq),
                    faissx_OPQMatrix_niter(opq),
                    faissx_OPQMatrix_niter_pq(opq),
                ]
                .map(i64::from),
            );
            made.push(("OPQ", opq.cast()));
            let mut remap = ptr::null_mut();
            check(faissx_RemapDimensionsTransform_new_with(
                &mut remap, D as c_int, 8, 1,
            ));
            made.push(("remap", remap.cast()));
            let mut norm = ptr::null_mut();
            check(faissx_NormalizationTransform_new_with(
                &mut norm, D as c_int, 2.0,
            ));
            rec.floats("norm", &[faissx_NormalizationTransform_norm(norm)]);
            made.push(("normalization", norm.cast()));
            let mut centering = ptr::null_mut();
            check(faissx_CenteringTransform_new_with(
                &mut centering,
                D as c_int,
            ));
            made.push(("centering", centering.cast()));
        }
        let queries = &xq[..4 * D];
        for &(name, vt) in &made {
            let what = |s: &str| format!("{name}: {s}");
            unsafe {
                let d_out = faissx_VectorTransform_d_out(vt) as usize;
                rec.num(&what("d_in"), faissx_VectorTransform_d_in(vt));
                rec.num(&what("d_out"), d_out as i64);
                rec.num(&what("is_trained"), faissx_VectorTransform_is_trained(vt));
                faissx_clear_last_error();
                let untrained = faissx_VectorTransform_apply(vt, 4, queries.as_ptr());
                rec.flag(&what("apply before training"), !untrained.is_null());
                rec.num(&what("apply before training: code"), code());
                libc::free(untrained.cast());
                rec.num(
                    &what("train"),
                    faissx_VectorTransform_train(vt, NB as idx_t, xb.as_ptr()),
                );
                rec.num(&what("trained"), faissx_VectorTransform_is_trained(vt));
                let applied = faissx_VectorTransform_apply(vt, 4, queries.as_ptr());
                assert!(!applied.is_null(), "{}", last_error());
                let applied_copy = std::slice::from_raw_parts(applied, 4 * d_out).to_vec();
                libc::free(applied.cast());
                rec.floats(&what("apply"), &applied_copy);
                let mut out = vec![f32::NAN; 4 * d_out];
                faissx_VectorTransform_apply_noalloc(vt, 4, queries.as_ptr(), out.as_mut_ptr());
                rec.floats(&what("apply_noalloc"), &out);
                let mut back = vec![f32::NAN; 4 * D];
                faissx_clear_last_error();
                faissx_VectorTransform_reverse_transform(vt, 4, out.as_ptr(), back.as_mut_ptr());
                rec.num(&what("reverse_transform: code"), code());
                rec.floats(&what("reverse_transform"), &back);
                faissx_clear_last_error();
                faissx_VectorTransform_apply_noalloc(vt, -1, queries.as_ptr(), out.as_mut_ptr());
                rec.num(&what("apply_noalloc of n = -1: code"), code());
                faissx_clear_last_error();
                let none = faissx_VectorTransform_apply(vt, 2, ptr::null());
                rec.flag(&what("apply of NULL"), none.is_null());
                rec.num(&what("apply of NULL: code"), code());

                // The trained transform before an index of this mode.
                let flat = flat_with(d_out, METRIC_L2);
                let mut p = ptr::null_mut();
                let index = Index::from_new(
                    faissx_IndexPreTransform_new_with_transform(&mut p, vt, flat.ptr()),
                    p.cast(),
                );
                rec.made(index.ptr());
                rec.getters(&what("pre-transform"), &index);
                index.add(&xb);
                rec.knn(&what("search"), index.search(&xq, K));
                let serialized = index.to_bytes();
                bytes(rec, &what("serialized"), &serialized);
                if name == "PCA" {
                    read_back_from_file(rec, &serialized, queries);
                }
            }
        }

        // The methods of linear transforms, on each kind of linear transform.
        for &(name, vt) in &made[..5] {
            let what = |s: &str| format!("{name}: {s}");
            let lt = vt.cast::<FaissLinearTransform>();
            unsafe {
                let d_out = faissx_VectorTransform_d_out(vt) as usize;
                rec.num(&what("have_bias"), faissx_LinearTransform_have_bias(lt));
                rec.num(
                    &what("is_orthonormal"),
                    faissx_LinearTransform_is_orthonormal(lt),
                );
                faissx_LinearTransform_set_is_orthonormal(lt);
                rec.num(
                    &what("is_orthonormal, checked"),
                    faissx_LinearTransform_is_orthonormal(lt),
                );
                let y = &xq[..3 * d_out];
                let mut x = vec![f32::NAN; 3 * D];
                faissx_clear_last_error();
                faissx_LinearTransform_transform_transpose(lt, 3, y.as_ptr(), x.as_mut_ptr());
                rec.num(&what("transform_transpose: code"), code());
                rec.floats(&what("transform_transpose"), &x);
            }
        }

        unsafe {
            faissx_clear_last_error();
            rec.num("d_in of NULL", faissx_VectorTransform_d_in(ptr::null()));
            rec.num("d_in of NULL: code", code());
            faissx_clear_last_error();
            rec.floats(
                "norm of NULL",
                &[faissx_NormalizationTransform_norm(ptr::null())],
            );
            rec.num("norm of NULL: code", code());
            rec.num(
                "OPQ with M not dividing d",
                faissx_OPQMatrix_new_with(&mut ptr::null_mut(), D as c_int, 5, -1),
            );
            let mut m = ptr::null_mut();
            check(faissx_RandomRotationMatrix_new_with(&mut m, 4, 4));
            faissx_LinearTransform_free(m.cast());
        }
        for (name, vt) in made {
            unsafe {
                match name {
                    "PCA" | "whitening PCA" => faissx_PCAMatrix_free(vt.cast()),
                    "rotation" => faissx_RandomRotationMatrix_free(vt.cast()),
                    "ITQ matrix" => faissx_ITQMatrix_free(vt.cast()),
                    "ITQ transform" => faissx_ITQTransform_free(vt.cast()),
                    "OPQ" => faissx_OPQMatrix_free(vt.cast()),
                    "remap" => faissx_RemapDimensionsTransform_free(vt.cast()),
                    "normalization" => faissx_NormalizationTransform_free(vt.cast()),
                    "centering" => faissx_CenteringTransform_free(vt.cast()),
                    _ => unreachable!("{name}"),
                }
            }
        }
    });
}

fn a_pre_transform_trains_the_callers_transform() {
    // FAISS's pre-transform borrows the caller's transform and trains that very object; a
    // remote one trains the server's copy (the searches agree, the caller's object does not).
    parity(|rec| {
        let (xb, xq) = data();
        let mut pca = ptr::null_mut();
        check(unsafe { faissx_PCAMatrix_new_with(&mut pca, D as c_int, 8, 0.0, 0) });
        let flat = flat_with(8, METRIC_L2);
        let mut p = ptr::null_mut();
        let index = Index::from_new(
            unsafe { faissx_IndexPreTransform_new_with_transform(&mut p, pca.cast(), flat.ptr()) },
            p.cast(),
        );
        rec.made(index.ptr());
        rec.getters("untrained PCA before a flat index", &index);
        index.train(&xb);
        index.add(&xb);
        rec.knn("untrained PCA trained by the index", index.search(&xq, K));
        unsafe {
            rec.num(
                "the caller's PCA after the index trained",
                faissx_VectorTransform_is_trained(pca.cast()),
            );
            let mut out = vec![f32::NAN; 8];
            faissx_clear_last_error();
            faissx_VectorTransform_apply_noalloc(pca.cast(), 1, xq.as_ptr(), out.as_mut_ptr());
            rec.num("the caller applies its PCA: code", code());
            rec.floats("the caller applies its PCA", &out);
        }
        drop(index);
        unsafe { faissx_PCAMatrix_free(pca) };
    });
}

/// The transform inside a serialized pre-transform (from PCA's fourcc to the flat index's),
/// read back as a file of its own: the C API writes no transform alone.
fn read_back_from_file(rec: &mut Record, serialized: &[u8], queries: &[f32]) {
    let at = |tag: &[u8], from: usize| {
        from + serialized[from..]
            .windows(4)
            .position(|w| w == tag)
            .unwrap()
    };
    let start = at(b"Pcam", 0);
    let end = at(b"IxF2", start);
    let file = TempFile::new("transform");
    std::fs::write(file.path(), &serialized[start..end]).unwrap();
    let mut vt = ptr::null_mut();
    check(unsafe { faissx_read_VectorTransform_fname(file.c_path().as_ptr(), &mut vt) });
    let mut out = vec![f32::NAN; 4 * 8];
    unsafe {
        rec.num("read PCA: d_out", faissx_VectorTransform_d_out(vt));
        faissx_VectorTransform_apply_noalloc(vt, 4, queries.as_ptr(), out.as_mut_ptr());
        faissx_VectorTransform_free(vt);
    }
    rec.floats("read PCA: apply", &out);
    let missing = cstr("/nonexistent/faissx-transform");
    rec.num("read a missing transform", unsafe {
        faissx_read_VectorTransform_fname(missing.as_ptr(), &mut vt)
    });
}

fn range_results_selectors_and_buffers() {
    parity(|rec| {
        let (xb, xq) = data();
        let index = flat_with(D, METRIC_L2);
        rec.made(index.ptr());
        index.add(&xb);
        let radius = 0.02;

        // A result made with its lims, filled by a range search of this mode.
        let mut p = ptr::null_mut();
        check(unsafe { faissx_RangeSearchResult_new_with(&mut p, NQ as idx_t, 1) });
        let result = RangeResult(p);
        rec.num("buffer_size", unsafe {
            faissx_RangeSearchResult_buffer_size(p) as i64
        });
        rec.num("range search", unsafe {
            faissx_Index_range_search(index.ptr(), NQ as idx_t, xq.as_ptr(), radius, p)
        });
        let hits = result.per_query();
        rec.range("range search into new_with", hits.clone());
        // FAISS allocates a result's hits once.
        rec.num("do_allocation of a filled result", unsafe {
            faissx_RangeSearchResult_do_allocation(p)
        });

        // The same hits gathered by hand through a partial result, as a custom search would.
        let mut q = ptr::null_mut();
        check(unsafe { faissx_RangeSearchResult_new_with(&mut q, NQ as idx_t, 1) });
        let rebuilt = RangeResult(q);
        let mut pres = ptr::null_mut();
        check(unsafe { faissx_RangeSearchPartialResult_new(&mut pres, q) });
        unsafe {
            rec.flag(
                "partial result's res",
                faissx_RangeSearchPartialResult_res(pres) == q,
            );
            for (qno, found) in hits.iter().enumerate() {
                let mut qr = ptr::null_mut();
                check(faissx_RangeSearchPartialResult_new_result(
                    pres,
                    qno as idx_t,
                    &mut qr,
                ));
                rec.num("qno", faissx_RangeQueryResult_qno(qr));
                rec.flag("pres", faissx_RangeQueryResult_pres(qr) == pres);
                for &(label, distance) in found {
                    check(faissx_RangeQueryResult_add(qr, distance, label));
                }
                rec.num("nres", faissx_RangeQueryResult_nres(qr) as i64);
            }
            // A partial result is a BufferList, as in FAISS's class graph.
            let list = pres.cast::<FaissBufferList>();
            rec.num(
                "partial: buffer_size",
                faissx_BufferList_buffer_size(list) as i64,
            );
            rec.num("partial: wp", faissx_BufferList_wp(list) as i64);
            check(faissx_RangeSearchPartialResult_set_lims(pres));
            let mut lims = ptr::null_mut();
            faissx_RangeSearchResult_lims(q, &mut lims);
            rec.exact(
                "lims after set_lims",
                std::slice::from_raw_parts(lims, NQ + 1)
                    .iter()
                    .map(|&l| l as i64),
            );
            check(faissx_RangeSearchPartialResult_finalize(pres));
            faissx_RangeSearchPartialResult_free(pres);
        }
        let gathered = rebuilt.per_query();
        assert_eq!(gathered, hits);
        rec.range("gathered through a partial result", gathered);

        // A result filled by hand: counts in lims, then do_allocation turns them into offsets.
        let mut r = ptr::null_mut();
        check(unsafe { faissx_RangeSearchResult_new_with(&mut r, 3, 1) });
        let by_hand = RangeResult(r);
        unsafe {
            let mut lims = ptr::null_mut();
            faissx_RangeSearchResult_lims(r, &mut lims);
            std::slice::from_raw_parts_mut(lims, 4).copy_from_slice(&[2, 0, 1, 0]);
            rec.num("do_allocation", faissx_RangeSearchResult_do_allocation(r));
        }
        rec.exact(
            "lims after do_allocation",
            by_hand.raw().0.iter().map(|&l| l as i64),
        );

        // A BufferList of 4 entries a buffer, holding the first hits.
        let mut bl = ptr::null_mut();
        check(unsafe { faissx_BufferList_new(&mut bl, 4) });
        let first: Vec<(idx_t, f32)> = hits.iter().flatten().take(10).copied().collect();
        assert_eq!(first.len(), 10, "the queries find at least 10 hits");
        unsafe {
            rec.num("buffer_size", faissx_BufferList_buffer_size(bl) as i64);
            rec.num("wp of an empty list", faissx_BufferList_wp(bl) as i64);
            for &(label, distance) in &first {
                check(faissx_BufferList_add(bl, label, distance));
            }
            rec.num("wp after 10", faissx_BufferList_wp(bl) as i64);
            check(faissx_BufferList_append_buffer(bl));
            rec.num("wp after append_buffer", faissx_BufferList_wp(bl) as i64);
            let (mut ids, mut dis) = ([-7 as idx_t; 6], [f32::NAN; 6]);
            check(faissx_BufferList_copy_range(
                bl,
                3,
                6,
                ids.as_mut_ptr(),
                dis.as_mut_ptr(),
            ));
            assert_eq!(
                ids.to_vec(),
                first[3..9].iter().map(|h| h.0).collect::<Vec<_>>()
            );
            rec.exact("copy_range ids", ids);
            rec.floats("copy_range distances", &dis);
            rec.num(
                "copy_range into NULL",
                faissx_BufferList_copy_range(bl, 0, 1, ptr::null_mut(), dis.as_mut_ptr()),
            );
            faissx_BufferList_free(bl);
        }

        // Selectors of each kind in searches and removals of this mode.
        let mut range = ptr::null_mut();
        check(unsafe { faissx_IDSelectorRange_new(&mut range, 100, 600) });
        let batch = Selector::batch(&(0..NB as idx_t).step_by(7).collect::<Vec<_>>());
        let bitmap: Vec<u8> = (0..NB / 8).map(|i| (i * 37 % 256) as u8).collect();
        let mut bits = ptr::null_mut();
        check(unsafe { faissx_IDSelectorBitmap_new(&mut bits, bitmap.len(), bitmap.as_ptr()) });
        let mut xor = ptr::null_mut();
        check(unsafe { faissx_IDSelectorXOr_new(&mut xor, range.cast(), batch.0) });
        let xor = Selector(xor.cast());
        unsafe {
            rec.exact(
                "range bounds",
                [
                    faissx_IDSelectorRange_imin(range),
                    faissx_IDSelectorRange_imax(range),
                ],
            );
            rec.exact(
                "batch bloom filter",
                [
                    i64::from(faissx_IDSelectorBatch_nbits(batch.0.cast())),
                    faissx_IDSelectorBatch_mask(batch.0.cast()),
                ],
            );
            rec.num("bitmap n", faissx_IDSelectorBitmap_n(bits) as i64);
            rec.flag(
                "bitmap is the caller's",
                faissx_IDSelectorBitmap_bitmap(bits) == bitmap.as_ptr(),
            );
        }
        let selectors: [(&str, *mut FaissIDSelector); 4] = [
            ("range", range.cast()),
            ("batch", batch.0),
            ("bitmap", bits.cast()),
            ("xor", xor.0),
        ];
        for (name, sel) in selectors {
            rec.exact(
                &format!("{name}: members"),
                [0, 99, 100, 105, 599, 600, 700, 777, 999, 5000]
                    .map(|id| i64::from(unsafe { faissx_IDSelector_is_member(sel, id) })),
            );
            let mut params = ptr::null_mut();
            check(unsafe { faissx_SearchParameters_new(&mut params, sel) });
            let params = Params(params);
            rec.knn(
                &format!("{name}: search"),
                index.search_with_params(&xq, K, params.0),
            );
            let copy = flat_with(D, METRIC_L2);
            copy.add(&xb);
            let mut removed = usize::MAX;
            check(unsafe { faissx_Index_remove_ids(copy.ptr(), sel, &mut removed) });
            rec.num(&format!("{name}: removed"), removed as i64);
            rec.knn(
                &format!("{name}: search after removal"),
                copy.search(&xq, K),
            );
        }
        unsafe {
            faissx_clear_last_error();
            rec.num("imin of NULL", faissx_IDSelectorRange_imin(ptr::null()));
            rec.num("imin of NULL: code", code());
            faissx_clear_last_error();
            rec.num(
                "is_member of NULL",
                faissx_IDSelector_is_member(ptr::null(), 1),
            );
            rec.num("is_member of NULL: code", code());
            rec.num(
                "XOr of NULL",
                faissx_IDSelectorXOr_new(&mut ptr::null_mut(), ptr::null(), batch.0),
            );
            rec.num(
                "bitmap of NULL bytes",
                faissx_IDSelectorBitmap_new(&mut ptr::null_mut(), 3, ptr::null()),
            );
        }
        drop(xor);
        unsafe {
            faissx_IDSelectorRange_free(range);
            faissx_IDSelectorBitmap_free(bits);
        }
    });
}

fn a_bitmap_selector_reads_the_callers_bytes_at_each_search() {
    // FAISS's IDSelectorBitmap keeps the caller's pointer, not a copy of the bits.
    parity(|rec| {
        let (xb, xq) = data();
        let index = flat_with(D, METRIC_L2);
        rec.made(index.ptr());
        index.add(&xb);
        let mut bitmap = [0x0fu8; NB / 8];
        let mut bits = ptr::null_mut();
        check(unsafe { faissx_IDSelectorBitmap_new(&mut bits, bitmap.len(), bitmap.as_ptr()) });
        let mut params = ptr::null_mut();
        check(unsafe { faissx_SearchParameters_new(&mut params, bits.cast()) });
        let params = Params(params);
        rec.knn("bitmap as made", index.search_with_params(&xq, K, params.0));
        bitmap.iter_mut().for_each(|b| *b = !*b);
        rec.num("is_member of an id the change selected", unsafe {
            faissx_IDSelector_is_member(bits.cast(), 7)
        });
        rec.knn(
            "bitmap changed after the selector was made",
            index.search_with_params(&xq, K, params.0),
        );
        drop(params);
        unsafe { faissx_IDSelectorBitmap_free(bits) };
    });
}

fn custom_io_freed_as_base_classes() {
    // A CustomIOWriter or CustomIOReader is an IOWriter or IOReader and frees as one.
    parity(|rec| {
        let (xb, xq) = data();
        let index = Index::factory(D, "IVF8,Flat", METRIC_L2);
        rec.made(index.ptr());
        index.train(&xb);
        index.add(&xb);
        let writer = custom_writer();
        rec.num("write through a custom writer", unsafe {
            faissx_write_index_custom(index.ptr(), writer.cast(), 0)
        });
        unsafe { faissx_IOWriter_free(writer.cast()) };
        let reader = custom_reader(index.to_bytes());
        let mut p = ptr::null_mut();
        let read = Index::from_new(
            unsafe { faissx_read_index_custom(reader.cast(), 0, &mut p) },
            p,
        );
        unsafe { faissx_IOReader_free(reader.cast()) };
        rec.made(read.ptr());
        rec.knn("read through a custom reader", read.search(&xq, K));
        unsafe {
            faissx_IOWriter_free(ptr::null_mut());
            faissx_IOReader_free(ptr::null_mut());
        }
    });
}

fn distance_kernels_and_process_wide_settings() {
    parity(|rec| {
        let (xb, xq) = data();
        let index = flat_with(D, METRIC_L2);
        rec.made(index.ptr());
        index.add(&xb);
        // The kernels on vectors as this mode's index hands them back.
        let nb = 50;
        let stored = reconstruct_n(&index, 0, nb);
        let (d, nq) = (D as i64, NQ as i64);
        unsafe {
            let mut dis = vec![f32::NAN; NQ * nb];
            faissx_pairwise_L2sqr_with_defaults(
                d,
                nq,
                xq.as_ptr(),
                nb as i64,
                stored.as_ptr(),
                dis.as_mut_ptr(),
            );
            rec.floats("pairwise_L2sqr_with_defaults", &dis);
            // Rows of 60 floats, the last 10 of each left alone.
            let mut strided = vec![f32::NAN; NQ * 60];
            faissx_pairwise_L2sqr(
                d,
                nq,
                xq.as_ptr(),
                nb as i64,
                stored.as_ptr(),
                strided.as_mut_ptr(),
                d,
                d,
                60,
            );
            rec.floats("pairwise_L2sqr, ldd 60", &strided);
            faissx_clear_last_error();
            faissx_pairwise_L2sqr(
                d,
                nq,
                xq.as_ptr(),
                nb as i64,
                stored.as_ptr(),
                strided.as_mut_ptr(),
                -1,
                -1,
                nb as i64 - 1,
            );
            rec.num("pairwise_L2sqr with ldd < nb: code", code());
            let mut out = vec![f32::NAN; nb];
            faissx_fvec_inner_products_ny(out.as_mut_ptr(), xq.as_ptr(), stored.as_ptr(), D, nb);
            rec.floats("fvec_inner_products_ny", &out);
            faissx_fvec_L2sqr_ny(out.as_mut_ptr(), xq.as_ptr(), stored.as_ptr(), D, nb);
            rec.floats("fvec_L2sqr_ny", &out);
            rec.floats(
                "fvec_norm_L2sqr",
                &[faissx_fvec_norm_L2sqr(stored.as_ptr(), D)],
            );
            faissx_fvec_norms_L2(out.as_mut_ptr(), stored.as_ptr(), D, nb);
            rec.floats("fvec_norms_L2", &out);
            faissx_fvec_norms_L2sqr(out.as_mut_ptr(), stored.as_ptr(), D, nb);
            rec.floats("fvec_norms_L2sqr", &out);
            let mut unit = stored.clone();
            faissx_fvec_renorm_L2(D, nb, unit.as_mut_ptr());
            rec.floats("fvec_renorm_L2", &unit);
            faissx_clear_last_error();
            rec.floats(
                "fvec_norm_L2sqr of NULL",
                &[faissx_fvec_norm_L2sqr(ptr::null(), D)],
            );
            rec.num("fvec_norm_L2sqr of NULL: code", code());
            faissx_clear_last_error();
            faissx_fvec_renorm_L2(D, 3, ptr::null_mut());
            rec.num("fvec_renorm_L2 of NULL: code", code());
        }

        // FAISS's C API gives no way to get a DistanceComputer: NULL is all a caller has.
        unsafe {
            let mut out = f32::NAN;
            rec.num(
                "DistanceComputer set_query of NULL",
                faissx_DistanceComputer_set_query(ptr::null_mut(), xq.as_ptr()),
            );
            rec.num(
                "DistanceComputer vector_to_query_dis of NULL",
                faissx_DistanceComputer_vector_to_query_dis(ptr::null_mut(), 0, &mut out),
            );
            rec.num(
                "DistanceComputer symmetric_dis of NULL",
                faissx_DistanceComputer_symmetric_dis(ptr::null_mut(), 0, 1, &mut out),
            );
            faissx_DistanceComputer_free(ptr::null_mut());
        }

        bytes(rec, "version", &c_text(unsafe { faissx_get_version() }));

        // The process-wide settings of exhaustive search, and a search under each.
        let defaults = search_settings();
        rec.exact("exhaustive search settings", defaults);
        // A search of fewer queries than the BLAS threshold takes neither of the blocked
        // paths these settings shape (see exhaustive_search_settings_reach_the_search).
        let settings: [(&str, unsafe extern "C" fn(c_int), c_int); 4] = [
            (
                "blas_query_bs 3",
                faissx_set_distance_compute_blas_query_bs,
                3,
            ),
            (
                "blas_database_bs 64",
                faissx_set_distance_compute_blas_database_bs,
                64,
            ),
            (
                "min_k_reservoir 2",
                faissx_set_distance_compute_min_k_reservoir,
                2,
            ),
            (
                "blas_threshold 30",
                faissx_set_distance_compute_blas_threshold,
                30,
            ),
        ];
        for (what, set, value) in settings {
            unsafe { set(value) };
            rec.exact(&format!("{what}: settings"), search_settings());
            rec.knn(&format!("{what}: search"), index.search(&xq, K));
        }
        restore_search_settings(defaults);
    });
}

fn search_settings() -> [i64; 4] {
    unsafe {
        [
            faissx_get_distance_compute_blas_threshold(),
            faissx_get_distance_compute_blas_query_bs(),
            faissx_get_distance_compute_blas_database_bs(),
            faissx_get_distance_compute_min_k_reservoir(),
        ]
    }
    .map(i64::from)
}

fn restore_search_settings(settings: [i64; 4]) {
    unsafe {
        faissx_set_distance_compute_blas_threshold(settings[0] as c_int);
        faissx_set_distance_compute_blas_query_bs(settings[1] as c_int);
        faissx_set_distance_compute_blas_database_bs(settings[2] as c_int);
        faissx_set_distance_compute_min_k_reservoir(settings[3] as c_int);
    }
}

pub const SCENARIOS: &[(&str, fn())] = &[
    (
        "parameter_spaces_built_through_the_c_api",
        parameter_spaces_built_through_the_c_api,
    ),
    (
        "clustering_with_indexes_of_each_mode",
        clustering_with_indexes_of_each_mode,
    ),
    (
        "ivf_search_parameters_and_statistics",
        ivf_search_parameters_and_statistics,
    ),
    (
        "vector_transforms_before_indexes_of_each_mode",
        vector_transforms_before_indexes_of_each_mode,
    ),
    (
        "range_results_selectors_and_buffers",
        range_results_selectors_and_buffers,
    ),
    (
        "custom_io_freed_as_base_classes",
        custom_io_freed_as_base_classes,
    ),
    (
        "distance_kernels_and_process_wide_settings",
        distance_kernels_and_process_wide_settings,
    ),
    (
        "a_pre_transform_trains_the_callers_transform",
        a_pre_transform_trains_the_callers_transform,
    ),
    (
        "a_bitmap_selector_reads_the_callers_bytes_at_each_search",
        a_bitmap_selector_reads_the_callers_bytes_at_each_search,
    ),
];
