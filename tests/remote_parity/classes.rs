//! Parity scenarios of the per-class functions (getters, setters, frees) of every index class.

use super::*;
use faissx::ffi::index_replicas::*;
use faissx::ffi::index_shards::*;

/// Bits per binary code in these scenarios.
const DB: usize = 64;

/// Runs `call` with the last error cleared and records the code it left (0: none).
fn code_of<T>(rec: &mut Record, what: &str, call: impl FnOnce() -> T) -> T {
    faissx_clear_last_error();
    let out = call();
    rec.num(&format!("{what}: error code"), faissx_get_last_error_code());
    out
}

fn binary_knn(rec: &mut Record, what: &str, (distances, labels): (Vec<i32>, Vec<idx_t>)) {
    assert!(labels.iter().any(|&l| l >= 0), "{what}: nothing found");
    rec.exact(
        &format!("{what}: distances"),
        distances.into_iter().map(i64::from),
    );
    rec.exact(&format!("{what}: labels"), labels);
}

fn binary_flat(d: usize) -> BinaryIndex {
    let mut p = ptr::null_mut();
    BinaryIndex::from_new(
        unsafe { faissx_IndexBinaryFlat_new_with(&mut p, d as idx_t) },
        p,
    )
}

fn binary_ivf(quantizer: &BinaryIndex) -> BinaryIndex {
    let mut p = ptr::null_mut();
    BinaryIndex::from_new(
        unsafe { faissx_IndexBinaryIVF_new_with(&mut p, quantizer.ptr(), DB, NLIST) },
        p,
    )
}

/// `faissx_IndexBinary_reconstruct`'s return code, and the code when it succeeded.
fn binary_reconstruct(index: *mut FaissIndexBinary, key: idx_t) -> (c_int, Vec<u8>) {
    let mut code = vec![0u8; DB / 8];
    let rc = unsafe { faissx_IndexBinary_reconstruct(index, key, code.as_mut_ptr()) };
    (rc, code)
}

fn record_bytes(rec: &mut Record, what: &str, bytes: &[u8]) {
    rec.exact(what, bytes.iter().map(|&b| i64::from(b)));
}

fn binary_ivf_fields_ids_merge_and_files() {
    parity(|rec| {
        let mut rng = Rng::new(91);
        let codes = rng.bytes(NB * DB / 8);
        let queries = codes[..NQ * DB / 8].to_vec();
        let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 3 * i + 1).collect();
        let quantizer = binary_flat(DB);
        let ivf = binary_ivf(&quantizer);
        rec.made(ivf.ptr());
        let v = ivf.ptr();
        unsafe {
            rec.num("metric", faissx_IndexBinary_metric_type(v));
            rec.num("own_fields", faissx_IndexBinaryIVF_own_fields(v));
            rec.num("verbose", faissx_IndexBinary_verbose(v));
            faissx_IndexBinary_set_verbose(v, 1);
            rec.num("verbose set", faissx_IndexBinary_verbose(v));
            faissx_IndexBinary_set_verbose(v, 0);
        }
        ivf.train(&codes);
        rec.num("add_with_ids", unsafe {
            faissx_IndexBinary_add_with_ids(v, NB as idx_t, codes.as_ptr(), ids.as_ptr())
        });
        rec.num("ntotal", unsafe { faissx_IndexBinary_ntotal(v) });
        unsafe { faissx_IndexBinaryIVF_set_nprobe(v, 3) };
        binary_knn(rec, "search with ids", ivf.search(&queries, K));
        rec.num("default max_codes", unsafe {
            faissx_IndexBinaryIVF_max_codes(v) as i64
        });
        unsafe { faissx_IndexBinaryIVF_set_max_codes(v, 40) };
        rec.num("max_codes", unsafe {
            faissx_IndexBinaryIVF_max_codes(v) as i64
        });
        binary_knn(rec, "search, max_codes 40", ivf.search(&queries, K));
        unsafe { faissx_IndexBinaryIVF_set_max_codes(v, 0) };
        rec.num("imbalance factor bits", unsafe {
            faissx_IndexBinaryIVF_imbalance_factor(v).to_bits() as i64
        });

        // FAISS finds codes by id only through a direct map, an array of sequential ids: it
        // refuses to build one over ids 1, 4, 7, ...
        rec.num("make_direct_map over sparse ids", unsafe {
            faissx_IndexBinaryIVF_make_direct_map(v, 1)
        });
        check(unsafe { faissx_IndexBinaryIVF_make_direct_map(v, 0) });

        // A second IVF over the same trained quantizer, with sequential ids, merged in later.
        let other = binary_ivf(&quantizer);
        let o = other.ptr();
        other.add(&codes[..100 * DB / 8]);
        rec.num(
            "reconstruct without a direct map",
            binary_reconstruct(o, 17).0,
        );
        rec.num("make_direct_map", unsafe {
            faissx_IndexBinaryIVF_make_direct_map(o, 1)
        });
        let (rc, code) = binary_reconstruct(o, 17);
        check(rc);
        assert_eq!(code, codes[17 * DB / 8..18 * DB / 8]);
        record_bytes(rec, "reconstruct", &code);
        rec.num("reconstruct past ntotal", binary_reconstruct(o, 100).0);
        rec.num("reconstruct(-1)", binary_reconstruct(o, -1).0);
        check(unsafe { faissx_IndexBinaryIVF_make_direct_map(o, 0) });
        rec.num("merge_from", unsafe {
            faissx_IndexBinaryIVF_merge_from(v, other.ptr(), 10_000)
        });
        rec.num("merged ntotal", unsafe { faissx_IndexBinary_ntotal(v) });
        rec.num("merged-from ntotal", unsafe {
            faissx_IndexBinary_ntotal(other.ptr())
        });
        binary_knn(rec, "search after merge", ivf.search(&queries, K));
        let flat = binary_flat(DB);
        flat.add(&codes[..50 * DB / 8]);
        rec.num("merge_from a flat index", unsafe {
            faissx_IndexBinaryIVF_merge_from(v, flat.ptr(), 0)
        });
        rec.num("merge_from itself", unsafe {
            faissx_IndexBinaryIVF_merge_from(v, v, 0)
        });
        rec.num("ntotal after the refused merges", unsafe {
            faissx_IndexBinary_ntotal(v)
        });

        // Serialized bytes, through a FILE* and a file name, and read back from the file.
        let file = TempFile::new("binary-ivf");
        unsafe {
            let out = libc::fopen(file.c_path().as_ptr(), c"wb".as_ptr());
            assert!(!out.is_null());
            rec.num("write_index_binary", faissx_write_index_binary(v, out));
            libc::fclose(out);
        }
        let through_file = std::fs::read(file.path()).unwrap();
        record_bytes(rec, "written through a FILE*", &through_file);
        let named = TempFile::new("binary-ivf-fname");
        check(unsafe { faissx_write_index_binary_fname(v, named.c_path().as_ptr()) });
        assert_eq!(std::fs::read(named.path()).unwrap(), through_file);
        let mut p = ptr::null_mut();
        let read = BinaryIndex::from_new(
            unsafe { faissx_read_index_binary_fname(named.c_path().as_ptr(), 0, &mut p) },
            p,
        );
        rec.made(read.ptr());
        rec.num("read ntotal", unsafe {
            faissx_IndexBinary_ntotal(read.ptr())
        });
        unsafe { faissx_IndexBinaryIVF_set_nprobe(read.ptr(), 3) };
        binary_knn(rec, "read from a file name", read.search(&queries, K));
        let missing = cstr("/nonexistent/faissx/binary");
        let mut p = ptr::null_mut();
        rec.num("read a missing file", unsafe {
            faissx_read_index_binary_fname(missing.as_ptr(), 0, &mut p)
        });
        assert!(p.is_null());
        rec.num("write an unwritable file", unsafe {
            faissx_write_index_binary_fname(v, missing.as_ptr())
        });

        rec.num("reset", unsafe { faissx_IndexBinary_reset(v) });
        rec.num("ntotal after reset", unsafe {
            faissx_IndexBinary_ntotal(v)
        });
        rec.num("nlist after reset", unsafe {
            faissx_IndexBinaryIVF_nlist(v) as i64
        });

        // Wrong class, ids a flat index refuses, keys out of range, NULL.
        let f = flat.ptr();
        unsafe {
            let own = code_of(rec, "own_fields of a flat", || {
                faissx_IndexBinaryIVF_own_fields(f)
            });
            rec.num("own_fields of a flat", own);
            let max_codes = code_of(rec, "max_codes of a flat", || {
                faissx_IndexBinaryIVF_max_codes(f)
            });
            rec.num("max_codes of a flat", max_codes as i64);
            code_of(rec, "set_max_codes of a flat", || {
                faissx_IndexBinaryIVF_set_max_codes(f, 3)
            });
            code_of(rec, "set_own_fields of a flat", || {
                faissx_IndexBinaryIVF_set_own_fields(f, 1)
            });
            let factor = code_of(rec, "imbalance_factor of a flat", || {
                faissx_IndexBinaryIVF_imbalance_factor(f)
            });
            rec.num("imbalance_factor of a flat", factor.to_bits() as i64);
            rec.num(
                "make_direct_map of a flat",
                faissx_IndexBinaryIVF_make_direct_map(f, 1),
            );
            rec.num(
                "add_with_ids to a flat",
                faissx_IndexBinary_add_with_ids(f, 1, codes.as_ptr(), ids.as_ptr()),
            );
            rec.num("flat metric", faissx_IndexBinary_metric_type(f));
            for key in [-1, 49, 50] {
                let (rc, code) = binary_reconstruct(f, key);
                rec.num(&format!("flat reconstruct({key})"), rc);
                if rc == 0 {
                    record_bytes(rec, &format!("flat reconstruct({key}): code"), &code);
                }
            }
            let metric = code_of(rec, "metric of NULL", || {
                faissx_IndexBinary_metric_type(ptr::null())
            });
            rec.num("metric of NULL", metric);
            let verbose = code_of(rec, "verbose of NULL", || {
                faissx_IndexBinary_verbose(ptr::null())
            });
            rec.num("verbose of NULL", verbose);
            code_of(rec, "set_verbose of NULL", || {
                faissx_IndexBinary_set_verbose(ptr::null_mut(), 1)
            });
            rec.num("reset of NULL", faissx_IndexBinary_reset(ptr::null_mut()));
            rec.num(
                "reconstruct of NULL",
                binary_reconstruct(ptr::null_mut(), 0).0,
            );
            rec.num(
                "write NULL",
                faissx_write_index_binary_fname(ptr::null(), named.c_path().as_ptr()),
            );
            faissx_IndexBinaryIVF_free(ptr::null_mut());
        }

        // Owning its quantizer, the IVF frees it: only the IVF is freed here.
        drop(other);
        let v = ivf.into_raw();
        unsafe {
            faissx_IndexBinaryIVF_set_own_fields(v, 1);
            rec.num("own_fields set", faissx_IndexBinaryIVF_own_fields(v));
            faissx_IndexBinaryIVF_free(v);
        }
        quantizer.into_raw();
        let read = read.into_raw();
        unsafe {
            rec.num("read: own_fields", faissx_IndexBinaryIVF_own_fields(read));
            faissx_IndexBinaryIVF_free(read);
        }
    });
}

/// Adds the data, searches, and frees the index through its class's own `_free`.
fn filled_then_freed(
    rec: &mut Record,
    what: &str,
    index: Index,
    free: unsafe extern "C" fn(*mut FaissIndex),
) {
    let (xb, xq) = data();
    rec.made(index.ptr());
    index.train(&xb);
    index.add(&xb);
    rec.getters(what, &index);
    rec.knn(what, index.search(&xq, K));
    unsafe { free(index.into_raw()) };
}

fn flat_lsh_and_scalar_quantizer_classes() {
    parity(|rec| {
        let (xb, xq) = data();
        let mut p = ptr::null_mut();
        let flat = Index::from_new(
            unsafe { faissx_IndexFlat_new_with(&mut p, D as idx_t, METRIC_L2) },
            p,
        );
        filled_then_freed(rec, "IndexFlat", flat, faissx_IndexFlat_free);
        let mut p = ptr::null_mut();
        let ip = Index::from_new(
            unsafe { faissx_IndexFlatIP_new_with(&mut p, D as idx_t) },
            p,
        );
        filled_then_freed(rec, "IndexFlatIP", ip, faissx_IndexFlatIP_free);
        let mut p = ptr::null_mut();
        let l2 = Index::from_new(
            unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
            p,
        );
        filled_then_freed(rec, "IndexFlatL2", l2, faissx_IndexFlatL2_free);
        let mut p = ptr::null_mut();
        let sq = Index::from_new(
            unsafe { faissx_IndexScalarQuantizer_new_with(&mut p, D as idx_t, QT_4bit, METRIC_L2) },
            p,
        );
        filled_then_freed(
            rec,
            "IndexScalarQuantizer",
            sq,
            faissx_IndexScalarQuantizer_free,
        );

        let mut p = ptr::null_mut();
        let one_d = Index::from_new(unsafe { faissx_IndexFlat1D_new(&mut p) }, p);
        rec.made(one_d.ptr());
        let mut rng = Rng::new(32);
        let line = rng.vectors(300, 1);
        one_d.add(&line);
        // The default keeps the permutation sorted on every add: searchable at once.
        rec.knn("Flat1D", one_d.search(&line[..NQ], K));
        unsafe { faissx_IndexFlat1D_free(one_d.into_raw()) };

        let nbits = D as c_int;
        for options in [None, Some((1, 1)), Some((0, 1))] {
            let what = format!("LSH (rotate_data, train_thresholds) {options:?}");
            let mut p = ptr::null_mut();
            let lsh = Index::from_new(
                unsafe {
                    match options {
                        Some((rotate, thresholds)) => faissx_IndexLSH_new_with_options(
                            &mut p, D as idx_t, nbits, rotate, thresholds,
                        ),
                        None => faissx_IndexLSH_new(&mut p, D as idx_t, nbits),
                    }
                },
                p,
            );
            rec.made(lsh.ptr());
            let l = lsh.ptr();
            unsafe {
                rec.num(&format!("{what}: nbits"), faissx_IndexLSH_nbits(l));
                rec.num(&format!("{what}: code_size"), faissx_IndexLSH_code_size(l));
                rec.num(
                    &format!("{what}: rotate_data"),
                    faissx_IndexLSH_rotate_data(l),
                );
                rec.num(
                    &format!("{what}: train_thresholds"),
                    faissx_IndexLSH_train_thresholds(l),
                );
            }
            lsh.train(&xb);
            lsh.add(&xb);
            rec.knn(&what, lsh.search(&xq, K));
            record_bytes(rec, &format!("{what}: serialized"), &lsh.to_bytes());
            unsafe { faissx_IndexLSH_free(lsh.into_raw()) };
        }
        // FAISS refuses LSH shapes it cannot hold.
        let mut p = ptr::null_mut();
        rec.num("LSH of 0 bits", unsafe {
            faissx_IndexLSH_new(&mut p, D as idx_t, 0)
        });
        assert!(p.is_null());
        rec.num("LSH of more bits than dimensions, not rotated", unsafe {
            faissx_IndexLSH_new_with_options(&mut p, D as idx_t, 2 * nbits, 0, 0)
        });
        assert!(p.is_null());

        let other = flat_with(D, METRIC_L2);
        other.add(&xb);
        let o = other.ptr();
        unsafe {
            let nbits = code_of(rec, "LSH nbits of a flat", || faissx_IndexLSH_nbits(o));
            rec.num("LSH nbits of a flat", nbits);
            let size = code_of(rec, "LSH code_size of a flat", || {
                faissx_IndexLSH_code_size(o)
            });
            rec.num("LSH code_size of a flat", size);
            let rotate = code_of(rec, "LSH rotate_data of a flat", || {
                faissx_IndexLSH_rotate_data(o)
            });
            rec.num("LSH rotate_data of a flat", rotate);
            let thresholds = code_of(rec, "LSH train_thresholds of NULL", || {
                faissx_IndexLSH_train_thresholds(ptr::null())
            });
            rec.num("LSH train_thresholds of NULL", thresholds);

            faissx_Index_set_verbose(o, 1);
            rec.num("verbose set", faissx_Index_verbose(o));
            faissx_Index_set_verbose(o, 0);
            rec.num("verbose cleared", faissx_Index_verbose(o));
            code_of(rec, "set_verbose of NULL", || {
                faissx_Index_set_verbose(ptr::null_mut(), 1)
            });

            // A residual against a stored vector; an id the index does not hold is refused.
            for key in [0, 77, NB as idx_t - 1, NB as idx_t, -1] {
                let mut residual = vec![f32::NAN; D];
                let rc = faissx_Index_compute_residual(o, xq.as_ptr(), residual.as_mut_ptr(), key);
                rec.num(&format!("compute_residual({key})"), rc);
                if rc == 0 {
                    rec.floats(&format!("compute_residual({key}): residual"), &residual);
                }
            }
        }
        // An IVF's residual is against a stored vector too (FAISS's Index::compute_residual),
        // found through the direct map.
        let ivf = Index::factory(D, "IVF8,Flat", METRIC_L2);
        ivf.train(&xb);
        ivf.add(&xb);
        let mut residual = vec![f32::NAN; D];
        let residual_of = |residual: &mut [f32]| unsafe {
            faissx_Index_compute_residual(ivf.ptr(), xq.as_ptr(), residual.as_mut_ptr(), 5)
        };
        rec.num(
            "IVF compute_residual without a direct map",
            residual_of(&mut residual),
        );
        check(unsafe { faissx_IndexIVF_make_direct_map(ivf.ptr(), 1) });
        check(residual_of(&mut residual));
        rec.floats("IVF compute_residual", &residual);
        unsafe { faissx_IndexIVF_free(ivf.into_raw()) };
    });
}

fn refine_flat_k_factor_and_ownership() {
    parity(|rec| {
        let (xb, xq) = data();
        for own in [0, 1] {
            let what = |s: &str| format!("own_fields {own}: {s}");
            let mut p = ptr::null_mut();
            let base = Index::from_new(
                unsafe {
                    faissx_IndexScalarQuantizer_new_with(&mut p, D as idx_t, QT_4bit, METRIC_L2)
                },
                p,
            );
            let mut p = ptr::null_mut();
            let refine =
                Index::from_new(unsafe { faissx_IndexRefineFlat_new(&mut p, base.ptr()) }, p);
            rec.made(refine.ptr());
            let r = refine.ptr();
            rec.getters(&what("new"), &refine);
            rec.num(&what("own_fields"), unsafe {
                faissx_IndexRefineFlat_own_fields(r)
            });
            rec.num(&what("default k_factor bits"), unsafe {
                faissx_IndexRefineFlat_k_factor(r).to_bits()
            });
            refine.train(&xb);
            refine.add(&xb);
            rec.num(&what("the base grew"), base.ntotal() as i64);
            rec.knn(&what("k_factor 1"), refine.search(&xq, K));
            unsafe { faissx_IndexRefineFlat_set_k_factor(r, 4.0) };
            rec.num(&what("k_factor bits"), unsafe {
                faissx_IndexRefineFlat_k_factor(r).to_bits()
            });
            rec.knn(&what("k_factor 4"), refine.search(&xq, K));
            let refine = refine.into_raw();
            unsafe {
                faissx_IndexRefineFlat_set_own_fields(refine, own * 5);
                rec.num(
                    &what("own_fields set"),
                    faissx_IndexRefineFlat_own_fields(refine),
                );
                faissx_IndexRefineFlat_free(refine);
            }
            if own == 1 {
                base.into_raw();
            } else {
                rec.knn(&what("the base after the refine went"), base.search(&xq, K));
            }
        }
        let flat = flat_with(D, METRIC_L2);
        let f = flat.ptr();
        unsafe {
            let k_factor = code_of(rec, "k_factor of a flat", || {
                faissx_IndexRefineFlat_k_factor(f)
            });
            rec.num("k_factor of a flat", k_factor.to_bits());
            code_of(rec, "set_k_factor of a flat", || {
                faissx_IndexRefineFlat_set_k_factor(f, 2.0)
            });
            let own = code_of(rec, "own_fields of a flat", || {
                faissx_IndexRefineFlat_own_fields(f)
            });
            rec.num("own_fields of a flat", own);
            code_of(rec, "set_own_fields of NULL", || {
                faissx_IndexRefineFlat_set_own_fields(ptr::null_mut(), 1)
            });
            let mut p = ptr::null_mut();
            rec.num(
                "refine over NULL",
                faissx_IndexRefineFlat_new(&mut p, ptr::null_mut()),
            );
            faissx_IndexRefineFlat_free(ptr::null_mut());
        }
    });
}

fn ivf_class_accessors_and_ownership() {
    parity(|rec| {
        let (xb, xq) = data();
        for metric in [METRIC_L2, METRIC_INNER_PRODUCT] {
            let what = |s: &str| format!("IVFFlat metric {metric}: {s}");
            let quantizer = flat_with(D, metric);
            let mut p = ptr::null_mut();
            let ivf = Index::from_new(
                unsafe {
                    faissx_IndexIVFFlat_new_with_metric(&mut p, quantizer.ptr(), D, NLIST, metric)
                },
                p,
            );
            rec.made(ivf.ptr());
            rec.getters(&what("new"), &ivf);
            let v = ivf.ptr();
            unsafe {
                rec.num(&what("nlist"), faissx_IndexIVFFlat_nlist(v) as i64);
                rec.num(&what("nprobe"), faissx_IndexIVFFlat_nprobe(v) as i64);
                rec.flag(
                    &what("quantizer is the one given"),
                    faissx_IndexIVFFlat_quantizer(v) == quantizer.ptr(),
                );
                rec.num(
                    &what("quantizer_trains_alone"),
                    faissx_IndexIVFFlat_quantizer_trains_alone(v),
                );
                rec.num(&what("own_fields"), faissx_IndexIVFFlat_own_fields(v));
                rec.num(&what("IVF own_fields"), faissx_IndexIVF_own_fields(v));
            }
            ivf.train(&xb);
            ivf.add(&xb);
            rec.knn(&what("nprobe 1"), ivf.search(&xq, K));
            unsafe { faissx_IndexIVFFlat_set_nprobe(v, 4) };
            rec.num(&what("nprobe set"), unsafe {
                faissx_IndexIVFFlat_nprobe(v) as i64
            });
            rec.knn(&what("nprobe 4"), ivf.search(&xq, K));
            let v = ivf.into_raw();
            if metric == METRIC_L2 {
                // Not owned: the quantizer outlives the IVF, centroids and all.
                unsafe {
                    faissx_IndexIVF_set_own_fields(v, 0);
                    rec.num(&what("IVF own_fields set"), faissx_IndexIVF_own_fields(v));
                    faissx_IndexIVF_free(v);
                }
                rec.num(
                    &what("quantizer after the IVF went"),
                    quantizer.ntotal() as i64,
                );
                rec.knn(&what("quantizer search"), quantizer.search(&xq, 1));
            } else {
                unsafe {
                    faissx_IndexIVFFlat_set_own_fields(v, 1);
                    rec.num(&what("own_fields set"), faissx_IndexIVFFlat_own_fields(v));
                    faissx_IndexIVFFlat_free(v);
                }
                quantizer.into_raw();
            }
        }
        let quantizer = flat_with(D, METRIC_L2);
        let mut p = ptr::null_mut();
        rec.num("IVFFlat with an unknown metric", unsafe {
            faissx_IndexIVFFlat_new_with_metric(&mut p, quantizer.ptr(), D, NLIST, 77)
        });
        assert!(p.is_null());
        rec.num("IVFFlat over a quantizer of another dimension", unsafe {
            faissx_IndexIVFFlat_new_with_metric(&mut p, quantizer.ptr(), D * 2, NLIST, METRIC_L2)
        });
        assert!(p.is_null());

        let mut p = ptr::null_mut();
        let sq = Index::from_new(
            unsafe {
                faissx_IndexIVFScalarQuantizer_new_with(
                    &mut p,
                    quantizer.ptr(),
                    D as idx_t,
                    NLIST,
                    QT_8bit,
                )
            },
            p,
        );
        rec.made(sq.ptr());
        let s = sq.ptr();
        unsafe {
            rec.num(
                "IVFSQ nlist",
                faissx_IndexIVFScalarQuantizer_nlist(s) as i64,
            );
            rec.num(
                "IVFSQ nprobe",
                faissx_IndexIVFScalarQuantizer_nprobe(s) as i64,
            );
            rec.flag(
                "IVFSQ quantizer is the one given",
                faissx_IndexIVFScalarQuantizer_quantizer(s) == quantizer.ptr(),
            );
            rec.num(
                "IVFSQ own_fields",
                faissx_IndexIVFScalarQuantizer_own_fields(s),
            );
        }
        sq.train(&xb);
        sq.add(&xb);
        rec.knn("IVFSQ nprobe 1", sq.search(&xq, K));
        unsafe { faissx_IndexIVFScalarQuantizer_set_nprobe(s, NLIST) };
        rec.num("IVFSQ nprobe set", unsafe {
            faissx_IndexIVFScalarQuantizer_nprobe(s) as i64
        });
        rec.knn("IVFSQ every list", sq.search(&xq, K));
        // The same over inner products, encoding the vectors rather than their residuals.
        let ip_quantizer = flat_with(D, METRIC_INNER_PRODUCT);
        let mut p = ptr::null_mut();
        let sq_ip = Index::from_new(
            unsafe {
                faissx_IndexIVFScalarQuantizer_new_with_metric(
                    &mut p,
                    ip_quantizer.ptr(),
                    D,
                    NLIST,
                    QT_8bit,
                    METRIC_INNER_PRODUCT,
                    0,
                )
            },
            p,
        );
        rec.made(sq_ip.ptr());
        sq_ip.train(&xb);
        sq_ip.add(&xb);
        unsafe { faissx_IndexIVFScalarQuantizer_set_nprobe(sq_ip.ptr(), 3) };
        rec.getters("IVFSQ IP", &sq_ip);
        rec.knn("IVFSQ IP", sq_ip.search(&xq, K));
        unsafe { faissx_IndexIVFScalarQuantizer_free(sq_ip.into_raw()) };

        // Getters handed another class, or NULL.
        let flat = flat_with(D, METRIC_L2);
        let f = flat.ptr();
        unsafe {
            let nlist = code_of(rec, "IVFFlat nlist of a flat", || {
                faissx_IndexIVFFlat_nlist(f)
            });
            rec.num("IVFFlat nlist of a flat", nlist as i64);
            let nprobe = code_of(rec, "IVFFlat nprobe of a flat", || {
                faissx_IndexIVFFlat_nprobe(f)
            });
            rec.num("IVFFlat nprobe of a flat", nprobe as i64);
            code_of(rec, "IVFFlat set_nprobe of a flat", || {
                faissx_IndexIVFFlat_set_nprobe(f, 3)
            });
            let q = code_of(rec, "IVFFlat quantizer of a flat", || {
                faissx_IndexIVFFlat_quantizer(f)
            });
            rec.flag("IVFFlat quantizer of a flat is NULL", q.is_null());
            let alone = code_of(rec, "quantizer_trains_alone of a flat", || {
                faissx_IndexIVFFlat_quantizer_trains_alone(f)
            });
            rec.num("quantizer_trains_alone of a flat", alone);
            let own = code_of(rec, "IVFFlat own_fields of a flat", || {
                faissx_IndexIVFFlat_own_fields(f)
            });
            rec.num("IVFFlat own_fields of a flat", own);
            code_of(rec, "IVFFlat set_own_fields of a flat", || {
                faissx_IndexIVFFlat_set_own_fields(f, 1)
            });
            let own = code_of(rec, "IVF own_fields of a flat", || {
                faissx_IndexIVF_own_fields(f)
            });
            rec.num("IVF own_fields of a flat", own);
            code_of(rec, "IVF set_own_fields of a flat", || {
                faissx_IndexIVF_set_own_fields(f, 1)
            });
            let nlist = code_of(rec, "IVFSQ nlist of a flat", || {
                faissx_IndexIVFScalarQuantizer_nlist(f)
            });
            rec.num("IVFSQ nlist of a flat", nlist as i64);
            let nprobe = code_of(rec, "IVFSQ nprobe of NULL", || {
                faissx_IndexIVFScalarQuantizer_nprobe(ptr::null())
            });
            rec.num("IVFSQ nprobe of NULL", nprobe as i64);
            code_of(rec, "IVFSQ set_nprobe of a flat", || {
                faissx_IndexIVFScalarQuantizer_set_nprobe(f, 2)
            });
            let q = code_of(rec, "IVFSQ quantizer of a flat", || {
                faissx_IndexIVFScalarQuantizer_quantizer(f)
            });
            rec.flag("IVFSQ quantizer of a flat is NULL", q.is_null());
            let own = code_of(rec, "IVFSQ own_fields of a flat", || {
                faissx_IndexIVFScalarQuantizer_own_fields(f)
            });
            rec.num("IVFSQ own_fields of a flat", own);
            code_of(rec, "IVFSQ set_own_fields of a flat", || {
                faissx_IndexIVFScalarQuantizer_set_own_fields(f, 1)
            });
            rec.num("the flat still holds", flat.ntotal() as i64);
            faissx_IndexIVFFlat_free(ptr::null_mut());
            faissx_IndexIVF_free(ptr::null_mut());
            faissx_IndexIVFScalarQuantizer_free(ptr::null_mut());
        }

        // FAISS owns the quantizers it builds itself: the factory's, a file's, a clone's.
        let made = Index::factory(D, "IVF8,Flat", METRIC_L2);
        made.train(&xb);
        let read = Index::from_bytes(&made.to_bytes());
        let mut p = ptr::null_mut();
        check(unsafe { faissx_clone_index(made.ptr(), &mut p) });
        let cloned = Index::from_new(0, p);
        for (what, index) in [("factory", &made), ("read", &read), ("clone", &cloned)] {
            rec.made(index.ptr());
            rec.num(&format!("{what}: IVF own_fields"), unsafe {
                faissx_IndexIVF_own_fields(index.ptr())
            });
            rec.num(&format!("{what}: IVFFlat own_fields"), unsafe {
                faissx_IndexIVFFlat_own_fields(index.ptr())
            });
        }

        // The IVFSQ owns the quantizer it was built over: it goes with it.
        let s = sq.into_raw();
        unsafe {
            faissx_IndexIVFScalarQuantizer_set_own_fields(s, 1);
            rec.num(
                "IVFSQ own_fields set",
                faissx_IndexIVFScalarQuantizer_own_fields(s),
            );
            faissx_IndexIVFScalarQuantizer_free(s);
        }
        quantizer.into_raw();
    });
}

fn pre_transform_with_transform_and_ownership() {
    parity(|rec| {
        let (xb, xq) = data();
        for own in [0, 1] {
            let what = |s: &str| format!("own_fields {own}: {s}");
            let flat = flat_with(D / 2, METRIC_L2);
            let mut rotation = ptr::null_mut();
            check(unsafe {
                faissx_RandomRotationMatrix_new_with(&mut rotation, D as c_int, D as c_int / 2)
            });
            let mut p = ptr::null_mut();
            let index = Index::from_new(
                unsafe {
                    faissx_IndexPreTransform_new_with_transform(&mut p, rotation.cast(), flat.ptr())
                },
                p,
            );
            rec.made(index.ptr());
            rec.getters(&what("new"), &index);
            let t = index.ptr();
            unsafe {
                rec.flag(
                    &what("index is the one given"),
                    faissx_IndexPreTransform_index(t) == flat.ptr(),
                );
                rec.num(&what("own_fields"), faissx_IndexPreTransform_own_fields(t));
            }
            index.train(&xb);
            index.add(&xb);
            rec.knn(&what("search"), index.search(&xq, K));
            rec.num(&what("the wrapped index grew"), flat.ntotal() as i64);
            let t = index.into_raw();
            unsafe {
                faissx_IndexPreTransform_set_own_fields(t, own);
                rec.num(
                    &what("own_fields set"),
                    faissx_IndexPreTransform_own_fields(t),
                );
                faissx_IndexPreTransform_free(t);
            }
            if own == 1 {
                // FAISS deletes the chain's transforms with the index it owns.
                flat.into_raw();
            } else {
                rec.knn(
                    &what("the index after the wrapper went"),
                    flat.search(&xq[..D / 2 * NQ], K),
                );
                unsafe { faissx_RandomRotationMatrix_free(rotation) };
            }
        }
        // FAISS's own check: the transform must feed the index's dimension.
        let flat = flat_with(D, METRIC_L2);
        let mut rotation = ptr::null_mut();
        check(unsafe {
            faissx_RandomRotationMatrix_new_with(&mut rotation, D as c_int, D as c_int / 2)
        });
        let mut p = ptr::null_mut();
        rec.num("a transform of the wrong dimension", unsafe {
            faissx_IndexPreTransform_new_with_transform(&mut p, rotation.cast(), flat.ptr())
        });
        assert!(p.is_null());
        rec.num("no transform", unsafe {
            faissx_IndexPreTransform_new_with_transform(&mut p, ptr::null_mut(), flat.ptr())
        });
        let f = flat.ptr();
        unsafe {
            let inner = code_of(rec, "index of a flat", || faissx_IndexPreTransform_index(f));
            rec.flag("index of a flat is NULL", inner.is_null());
            let own = code_of(rec, "own_fields of a flat", || {
                faissx_IndexPreTransform_own_fields(f)
            });
            rec.num("own_fields of a flat", own);
            code_of(rec, "set_own_fields of a flat", || {
                faissx_IndexPreTransform_set_own_fields(f, 1)
            });
            faissx_IndexPreTransform_free(ptr::null_mut());
            faissx_RandomRotationMatrix_free(rotation);
        }
    });
}

/// Three flat indexes of the scenario's mode.
fn members() -> Vec<Index> {
    (0..3).map(|_| flat_with(D, METRIC_L2)).collect()
}

fn shards_over_indexes_of_the_mode() {
    parity(|rec| {
        let (xb, xq) = data();
        let parts = members();
        for part in &parts {
            rec.made(part.ptr());
        }
        let mut p = ptr::null_mut();
        let shards = Index::from_new(unsafe { faissx_IndexShards_new(&mut p, D as idx_t) }, p);
        let s = shards.ptr();
        unsafe {
            rec.num("own_fields", faissx_IndexShards_own_fields(s));
            rec.num("successive_ids", faissx_IndexShards_successive_ids(s));
            for part in &parts {
                rec.num("add_shard", faissx_IndexShards_add_shard(s, part.ptr()));
            }
            let wrong = flat_with(D / 2, METRIC_L2);
            rec.num(
                "add_shard of another dimension",
                faissx_IndexShards_add_shard(s, wrong.ptr()),
            );
            for i in 0..3 {
                rec.flag(
                    &format!("at({i}) is the shard added"),
                    faissx_IndexShards_at(s, i) == parts[i as usize].ptr(),
                );
            }
            for i in [3, -1] {
                let at = code_of(rec, &format!("at({i})"), || faissx_IndexShards_at(s, i));
                rec.flag(&format!("at({i}) is NULL"), at.is_null());
            }
        }
        shards.add(&xb);
        rec.getters("filled", &shards);
        rec.exact("shard sizes", parts.iter().map(|p| p.ntotal() as i64));
        rec.knn("search", shards.search(&xq, K));
        unsafe {
            faissx_IndexShards_set_successive_ids(s, 0);
            rec.num("successive_ids set", faissx_IndexShards_successive_ids(s));
            faissx_IndexShards_set_successive_ids(s, 1);
            rec.num(
                "remove_shard",
                faissx_IndexShards_remove_shard(s, parts[1].ptr()),
            );
            rec.num(
                "remove_shard of one removed",
                faissx_IndexShards_remove_shard(s, parts[1].ptr()),
            );
        }
        rec.getters("after remove_shard", &shards);
        rec.knn("search after remove_shard", shards.search(&xq, K));

        // Not threaded and ids given: FAISS hands each shard its part with the ids.
        let mut p = ptr::null_mut();
        let with_ids = Index::from_new(
            unsafe { faissx_IndexShards_new_with_options(&mut p, D as idx_t, 0, 0) },
            p,
        );
        let maps: Vec<Index> = (0..2)
            .map(|_| Index::factory(D, "IDMap,Flat", METRIC_L2))
            .collect();
        for map in &maps {
            rec.made(map.ptr());
            check(unsafe { faissx_IndexShards_add_shard(with_ids.ptr(), map.ptr()) });
        }
        rec.num("options: successive_ids", unsafe {
            faissx_IndexShards_successive_ids(with_ids.ptr())
        });
        let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 50_000 + 11 * i).collect();
        with_ids.add_with_ids(&xb, &ids);
        rec.exact("IDMap shard sizes", maps.iter().map(|m| m.ntotal() as i64));
        rec.knn("search with ids", with_ids.search(&xq, K));
        unsafe { faissx_IndexShards_free(with_ids.into_raw()) };
        rec.num("an IDMap after the shards went", maps[0].ntotal() as i64);

        unsafe {
            let own = code_of(rec, "own_fields of NULL", || {
                faissx_IndexShards_own_fields(ptr::null())
            });
            rec.num("own_fields of NULL", own);
            rec.num(
                "add_shard of NULL",
                faissx_IndexShards_add_shard(s, ptr::null_mut()),
            );
            faissx_IndexShards_free(ptr::null_mut());
        }

        // Owning its shards, the composite frees those it still holds.
        let s = shards.into_raw();
        unsafe {
            faissx_IndexShards_set_own_fields(s, 1);
            rec.num("own_fields set", faissx_IndexShards_own_fields(s));
            faissx_IndexShards_free(s);
        }
        let Ok([first, removed, last]) = <[Index; 3]>::try_from(parts) else {
            unreachable!("three shards were made")
        };
        first.into_raw();
        last.into_raw();
        rec.num(
            "the removed shard after the shards went",
            removed.ntotal() as i64,
        );
    });
}

fn replicas_over_indexes_of_the_mode() {
    parity(|rec| {
        let (xb, xq) = data();
        for threaded in [None, Some(0)] {
            let what = |s: &str| format!("threaded {threaded:?}: {s}");
            let parts = members();
            let mut p = ptr::null_mut();
            let replicas = Index::from_new(
                unsafe {
                    match threaded {
                        Some(threaded) => {
                            faissx_IndexReplicas_new_with_options(&mut p, D as idx_t, threaded)
                        }
                        None => faissx_IndexReplicas_new(&mut p, D as idx_t),
                    }
                },
                p,
            );
            let r = replicas.ptr();
            unsafe {
                rec.num(&what("own_fields"), faissx_IndexReplicas_own_fields(r));
                for part in &parts {
                    rec.made(part.ptr());
                    rec.num(
                        &what("add_replica"),
                        faissx_IndexReplicas_add_replica(r, part.ptr()),
                    );
                }
                let wrong = flat_with(D * 2, METRIC_L2);
                rec.num(
                    &what("add_replica of another dimension"),
                    faissx_IndexReplicas_add_replica(r, wrong.ptr()),
                );
                for i in 0..3 {
                    rec.flag(
                        &what(&format!("at({i}) is the replica added")),
                        faissx_IndexReplicas_at(r, i) == parts[i as usize].ptr(),
                    );
                }
                for i in [3, -2] {
                    let at = code_of(rec, &what(&format!("at({i})")), || {
                        faissx_IndexReplicas_at(r, i)
                    });
                    rec.flag(&what(&format!("at({i}) is NULL")), at.is_null());
                }
            }
            replicas.add(&xb);
            rec.getters(&what("filled"), &replicas);
            rec.exact(
                &what("replica sizes"),
                parts.iter().map(|p| p.ntotal() as i64),
            );
            rec.knn(&what("search"), replicas.search(&xq, K));
            unsafe {
                rec.num(
                    &what("remove_replica"),
                    faissx_IndexReplicas_remove_replica(r, parts[0].ptr()),
                );
                rec.num(
                    &what("remove_replica of one removed"),
                    faissx_IndexReplicas_remove_replica(r, parts[0].ptr()),
                );
                rec.flag(
                    &what("at(0) after the removal"),
                    faissx_IndexReplicas_at(r, 0) == parts[1].ptr(),
                );
            }
            rec.knn(
                &what("search after remove_replica"),
                replicas.search(&xq, K),
            );
            let r = replicas.into_raw();
            let mut parts = parts.into_iter();
            let removed = parts.next().unwrap();
            if threaded.is_none() {
                unsafe {
                    faissx_IndexReplicas_set_own_fields(r, 1);
                    rec.num(&what("own_fields set"), faissx_IndexReplicas_own_fields(r));
                    faissx_IndexReplicas_free(r);
                }
                parts.for_each(|part| {
                    part.into_raw();
                });
            } else {
                unsafe { faissx_IndexReplicas_free(r) };
                let kept: Vec<Index> = parts.collect();
                rec.knn(
                    &what("a replica after the replicas went"),
                    kept[1].search(&xq, K),
                );
            }
            rec.num(&what("the removed replica"), removed.ntotal() as i64);
        }
        unsafe {
            code_of(rec, "set_own_fields of NULL", || {
                faissx_IndexReplicas_set_own_fields(ptr::null_mut(), 1)
            });
            let at = code_of(rec, "at of NULL", || {
                faissx_IndexReplicas_at(ptr::null_mut(), 0)
            });
            rec.flag("at of NULL is NULL", at.is_null());
            faissx_IndexReplicas_free(ptr::null_mut());
        }
    });
}

fn id_maps_ownership_and_rev_map() {
    parity(|rec| {
        let (xb, xq) = data();
        let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 20_000 + 7 * i).collect();
        for two_way in [false, true] {
            let what = |s: &str| format!("two_way {two_way}: {s}");
            let flat = flat_with(D, METRIC_L2);
            let mut p = ptr::null_mut();
            let map = Index::from_new(
                unsafe {
                    if two_way {
                        faissx_IndexIDMap2_new(&mut p, flat.ptr())
                    } else {
                        faissx_IndexIDMap_new(&mut p, flat.ptr())
                    }
                },
                p,
            );
            rec.made(map.ptr());
            let m = map.ptr();
            unsafe {
                rec.num(&what("IDMap own_fields"), faissx_IndexIDMap_own_fields(m));
                rec.num(&what("IDMap2 own_fields"), faissx_IndexIDMap2_own_fields(m));
                rec.flag(&what("IDMap2 cast"), is_same(faissx_IndexIDMap2_cast(m), m));
            }
            map.add_with_ids(&xb, &ids);
            rec.knn(&what("search"), map.search(&xq, K));
            if two_way {
                unsafe {
                    rec.flag(
                        "IDMap2 sub_index is the index given",
                        faissx_IndexIDMap2_sub_index(m) == flat.ptr(),
                    );
                    let (mut stored, mut size) = (ptr::null_mut(), 0usize);
                    faissx_IndexIDMap2_id_map(m, &mut stored, &mut size);
                    let stored = std::slice::from_raw_parts(stored, size).to_vec();
                    assert_eq!(stored, ids);
                    rec.exact("IDMap2 id_map", stored);
                    rec.num("construct_rev_map", faissx_IndexIDMap2_construct_rev_map(m));
                }
                rec.floats("reconstruct by id", &map.reconstruct(ids[321]));
                rec.num("reconstruct an id never added", unsafe {
                    faissx_Index_reconstruct(m, 5, vec![0f32; D].as_mut_ptr())
                });
            } else {
                unsafe {
                    rec.num(
                        "construct_rev_map of an IDMap",
                        faissx_IndexIDMap2_construct_rev_map(m),
                    );
                    // IDMap2's other accessors read any IDMap, as FAISS's do.
                    let (mut stored, mut size) = (ptr::null_mut(), 0usize);
                    code_of(rec, "IDMap2 id_map of an IDMap", || {
                        faissx_IndexIDMap2_id_map(m, &mut stored, &mut size)
                    });
                    rec.num("IDMap2 id_map size of an IDMap", size as i64);
                    let sub = code_of(rec, "IDMap2 sub_index of an IDMap", || {
                        faissx_IndexIDMap2_sub_index(m)
                    });
                    rec.flag(
                        "IDMap2 sub_index of an IDMap is the index given",
                        sub == flat.ptr(),
                    );
                }
            }
            // Owned, the wrapped index goes with the map; not owned, it stays and holds the data.
            let m = map.into_raw();
            unsafe {
                if two_way {
                    faissx_IndexIDMap2_set_own_fields(m, 1);
                    rec.num(&what("own_fields set"), faissx_IndexIDMap2_own_fields(m));
                } else {
                    faissx_IndexIDMap_set_own_fields(m, 0);
                    rec.num(&what("own_fields set"), faissx_IndexIDMap_own_fields(m));
                }
                faissx_Index_free(m);
            }
            if two_way {
                flat.into_raw();
            } else {
                rec.knn(&what("the index after the map went"), flat.search(&xq, K));
            }
        }
        let flat = flat_with(D, METRIC_L2);
        let f = flat.ptr();
        unsafe {
            rec.flag(
                "IDMap2 cast of a flat is NULL",
                faissx_IndexIDMap2_cast(f).is_null(),
            );
            rec.flag(
                "IDMap2 cast of NULL is NULL",
                faissx_IndexIDMap2_cast(ptr::null_mut()).is_null(),
            );
            let own = code_of(rec, "IDMap own_fields of a flat", || {
                faissx_IndexIDMap_own_fields(f)
            });
            rec.num("IDMap own_fields of a flat", own);
            code_of(rec, "IDMap set_own_fields of a flat", || {
                faissx_IndexIDMap_set_own_fields(f, 1)
            });
            let own = code_of(rec, "IDMap2 own_fields of a flat", || {
                faissx_IndexIDMap2_own_fields(f)
            });
            rec.num("IDMap2 own_fields of a flat", own);
            code_of(rec, "IDMap2 set_own_fields of a flat", || {
                faissx_IndexIDMap2_set_own_fields(f, 1)
            });
            rec.num(
                "construct_rev_map of a flat",
                faissx_IndexIDMap2_construct_rev_map(f),
            );
            let (mut stored, mut size) = (ptr::null_mut(), 7usize);
            code_of(rec, "IDMap2 id_map of a flat", || {
                faissx_IndexIDMap2_id_map(f, &mut stored, &mut size)
            });
            rec.num("IDMap2 id_map size of a flat", size as i64);
            let sub = code_of(rec, "IDMap2 sub_index of a flat", || {
                faissx_IndexIDMap2_sub_index(f)
            });
            rec.flag("IDMap2 sub_index of a flat is NULL", sub.is_null());
        }
    });
}

fn id_map2_ids_edited_through_the_lent_pointer() {
    // construct_rev_map is there for callers who edit the ids through the pointer
    // IDMap2_id_map lends (FAISS's C API lends the map itself): searches, reconstructions and
    // removals then go by the edited ids.
    parity(|rec| {
        let (xb, _) = data();
        let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 20_000 + 7 * i).collect();
        let flat = flat_with(D, METRIC_L2);
        let mut p = ptr::null_mut();
        let map = Index::from_new(unsafe { faissx_IndexIDMap2_new(&mut p, flat.ptr()) }, p);
        let m = map.ptr();
        map.add_with_ids(&xb, &ids);
        let lent = || {
            let (mut stored, mut size) = (ptr::null_mut(), 0usize);
            unsafe { faissx_IndexIDMap2_id_map(m, &mut stored, &mut size) };
            assert_eq!(size, NB);
            stored
        };
        unsafe { *lent().add(3) = 5 };
        check(unsafe { faissx_IndexIDMap2_construct_rev_map(m) });
        let stored = unsafe { std::slice::from_raw_parts(lent(), NB) }.to_vec();
        rec.exact("id_map after the edit", stored);
        let third = &xb[3 * D..4 * D];
        rec.knn("search for the edited vector", map.search(third, 1));
        let mut out = vec![0f32; D];
        rec.num("reconstruct by the new id", unsafe {
            faissx_Index_reconstruct(m, 5, out.as_mut_ptr())
        });
        rec.floats("reconstructed by the new id", &out);
        rec.num("reconstruct by the old id", unsafe {
            faissx_Index_reconstruct(m, ids[3], out.as_mut_ptr())
        });
        rec.num(
            "removed by the new id",
            remove(&map, &Selector::batch(&[5])),
        );
        rec.num("ntotal after the removal", map.ntotal() as i64);
    });
}

pub const SCENARIOS: &[(&str, fn())] = &[
    (
        "binary_ivf_fields_ids_merge_and_files",
        binary_ivf_fields_ids_merge_and_files,
    ),
    (
        "flat_lsh_and_scalar_quantizer_classes",
        flat_lsh_and_scalar_quantizer_classes,
    ),
    (
        "refine_flat_k_factor_and_ownership",
        refine_flat_k_factor_and_ownership,
    ),
    (
        "ivf_class_accessors_and_ownership",
        ivf_class_accessors_and_ownership,
    ),
    (
        "pre_transform_with_transform_and_ownership",
        pre_transform_with_transform_and_ownership,
    ),
    (
        "shards_over_indexes_of_the_mode",
        shards_over_indexes_of_the_mode,
    ),
    (
        "replicas_over_indexes_of_the_mode",
        replicas_over_indexes_of_the_mode,
    ),
    (
        "id_maps_ownership_and_rev_map",
        id_maps_ownership_and_rev_map,
    ),
    (
        "id_map2_ids_edited_through_the_lent_pointer",
        id_map2_ids_edited_through_the_lent_pointer,
    ),
];
