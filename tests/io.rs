//! `index_io_c.h`, `impl/io_c.h`, `clone_index_c.h` and faissx's in-memory serialization:
//! every way in and out of FAISS's file format gives back an index that answers the same.

mod common;

use common::*;
use faissx::ffi::clone_index::*;
use faissx::ffi::index_binary::faissx_IndexBinary_ntotal;
use faissx::ffi::index_io::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::io::*;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 16;

/// A trained, filled IVF index and queries for it.
fn sample() -> (Index, Vec<f32>) {
    let mut rng = Rng::new(71);
    let xb = clustered(&mut rng, 1000, D, 8);
    let index = Index::factory(D, "IVF8,Flat", METRIC_L2);
    index.train(&xb);
    index.add(&xb);
    unsafe { faissx_IndexIVF_set_nprobe(index.ptr(), 3) };
    (index, rng.vectors(10, D))
}

#[track_caller]
fn assert_same_answers(a: &Index, b: &Index, xq: &[f32]) {
    assert_eq!(a.ntotal(), b.ntotal());
    assert_eq!(a.search(xq, 5), b.search(xq, 5));
}

#[test]
fn buffer_round_trip() {
    let (index, xq) = sample();
    let bytes = index.to_bytes();
    let back = Index::from_bytes(&bytes);
    assert_same_answers(&index, &back, &xq);
    // Search parameters such as nprobe are part of the file.
    assert_eq!(unsafe { faissx_IndexIVF_nprobe(back.ptr()) }, 3);
    assert_eq!(back.to_bytes(), bytes, "serialization is stable");

    let mut p = ptr::null_mut();
    check(unsafe {
        faissx_read_index_buf(bytes.as_ptr(), bytes.len(), FAISS_IO_FLAG_READ_ONLY, &mut p)
    });
    let read_only = Index::from_new(0, p);
    assert_same_answers(&index, &read_only, &xq);
}

#[test]
fn file_name_round_trip() {
    let (index, xq) = sample();
    let file = TempFile::new("fname");
    check(unsafe { faissx_write_index_fname(index.ptr(), file.c_path().as_ptr()) });
    assert_eq!(std::fs::read(file.path()).unwrap(), index.to_bytes());
    let mut p = ptr::null_mut();
    check(unsafe { faissx_read_index_fname(file.c_path().as_ptr(), 0, &mut p) });
    assert_same_answers(&index, &Index::from_new(0, p), &xq);
}

#[test]
fn stdio_file_round_trip() {
    let (index, xq) = sample();
    let file = TempFile::new("stdio");
    let path = file.c_path();
    unsafe {
        let f = libc::fopen(path.as_ptr(), c"wb".as_ptr());
        assert!(!f.is_null());
        let rc = faissx_write_index(index.ptr(), f);
        libc::fclose(f);
        check(rc);
        let f = libc::fopen(path.as_ptr(), c"rb".as_ptr());
        assert!(!f.is_null());
        let mut p = ptr::null_mut();
        let rc = faissx_read_index(f, 0, &mut p);
        libc::fclose(f);
        assert_same_answers(&index, &Index::from_new(rc, p), &xq);
    }
}

#[test]
fn custom_reader_and_writer_round_trip() {
    let (index, xq) = sample();
    let (rc, written, _) =
        write_custom(|w| unsafe { faissx_write_index_custom(index.ptr(), w, 0) });
    check(rc);
    assert_eq!(written, index.to_bytes());

    let (rc, p) = read_custom(&written, |r| {
        let mut p = ptr::null_mut();
        (unsafe { faissx_read_index_custom(r, 0, &mut p) }, p)
    });
    assert_same_answers(&index, &Index::from_new(rc, p), &xq);

    // Either kind also frees through the base class.
    unsafe {
        faissx_IOWriter_free(custom_writer().cast());
        faissx_IOReader_free(custom_reader(Vec::new()).cast());
    }
}

#[test]
fn binary_indexes_round_trip_every_way() {
    let xb = Rng::new(72).bytes(300 * 8);
    let xq = Rng::new(73).bytes(6 * 8);
    let index = BinaryIndex::factory(64, "BIVF4");
    index.train(&xb);
    index.add(&xb);
    let expected = index.search(&xq, 4);

    let mut size = 0;
    let mut buf = ptr::null_mut();
    check(unsafe { faissx_write_index_binary_buf(index.ptr(), &mut size, &mut buf) });
    let bytes = unsafe { std::slice::from_raw_parts(buf, size) }.to_vec();
    unsafe { faissx_free_buf(&mut buf) };
    let mut p = ptr::null_mut();
    check(unsafe { faissx_read_index_binary_buf(bytes.as_ptr(), bytes.len(), 0, &mut p) });
    assert_eq!(BinaryIndex::from_new(0, p).search(&xq, 4), expected);

    let file = TempFile::new("binary");
    check(unsafe { faissx_write_index_binary_fname(index.ptr(), file.c_path().as_ptr()) });
    assert_eq!(std::fs::read(file.path()).unwrap(), bytes);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_read_index_binary_fname(file.c_path().as_ptr(), 0, &mut p) });
    assert_eq!(BinaryIndex::from_new(0, p).search(&xq, 4), expected);

    let path = file.c_path();
    unsafe {
        let f = libc::fopen(path.as_ptr(), c"wb".as_ptr());
        let rc = faissx_write_index_binary(index.ptr(), f);
        libc::fclose(f);
        check(rc);
        let f = libc::fopen(path.as_ptr(), c"rb".as_ptr());
        let mut p = ptr::null_mut();
        let rc = faissx_read_index_binary(f, 0, &mut p);
        libc::fclose(f);
        assert_eq!(BinaryIndex::from_new(rc, p).search(&xq, 4), expected);
    }

    let (rc, written, _) =
        write_custom(|w| unsafe { faissx_write_index_binary_custom(index.ptr(), w) });
    check(rc);
    assert_eq!(written, bytes);
    let (rc, p) = read_custom(&written, |r| {
        let mut p = ptr::null_mut();
        (unsafe { faissx_read_index_binary_custom(r, 0, &mut p) }, p)
    });
    assert_eq!(BinaryIndex::from_new(rc, p).search(&xq, 4), expected);
}

#[test]
fn missing_and_corrupt_input_is_an_error() {
    let missing = std::env::temp_dir().join(format!("faissx-missing-{}.index", std::process::id()));
    let missing = cstr(missing.to_str().unwrap());
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_read_index_fname(missing.as_ptr(), 0, &mut p) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_read_index_fname", "faissx-missing-"],
    );
    assert!(p.is_null());
    let mut b = ptr::null_mut();
    let rc = unsafe { faissx_read_index_binary_fname(missing.as_ptr(), 0, &mut b) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_read_index_binary_fname", "faissx-missing-"],
    );
    let mut vt = ptr::null_mut();
    let rc = unsafe { faissx_read_VectorTransform_fname(missing.as_ptr(), &mut vt) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_read_VectorTransform_fname", "faissx-missing-"],
    );

    let garbage = Rng::new(74).bytes(256);
    let rc = unsafe { faissx_read_index_buf(garbage.as_ptr(), garbage.len(), 0, &mut p) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_read_index_buf"]);
    assert!(p.is_null());

    let (index, _) = sample();
    let bytes = index.to_bytes();
    let rc = unsafe { faissx_read_index_buf(bytes.as_ptr(), bytes.len() / 2, 0, &mut p) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_read_index_buf"]);
    let rc = unsafe { faissx_read_index_binary_buf(bytes.as_ptr(), bytes.len(), 0, &mut b) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_read_index_binary_buf"]);

    let file = TempFile::new("corrupt");
    std::fs::write(file.path(), &bytes[..bytes.len() - 100]).unwrap();
    let rc = unsafe { faissx_read_index_fname(file.c_path().as_ptr(), 0, &mut p) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_read_index_fname"]);

    let unwritable = cstr("/nonexistent-dir-faissx/x.index");
    let rc = unsafe { faissx_write_index_fname(index.ptr(), unwritable.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_write_index_fname", "nonexistent-dir-faissx"],
    );
}

#[test]
fn free_buf_tolerates_null() {
    let rc = unsafe { faissx_read_index_buf(ptr::null(), 0, 0, ptr::null_mut()) };
    assert_eq!(rc, FAISSX_ERR_INVALID_ARGUMENT);
    let before = last_error();
    unsafe {
        faissx_free_buf(ptr::null_mut());
        let mut nothing: *mut u8 = ptr::null_mut();
        faissx_free_buf(&mut nothing);
    }
    assert_eq!(last_error(), before, "a no-op is not an error");
}

#[test]
fn clones_are_independent_copies() {
    let (index, xq) = sample();
    let mut p = ptr::null_mut();
    check(unsafe { faissx_clone_index(index.ptr(), &mut p) });
    let copy = Index::from_new(0, p);
    assert_ne!(copy.ptr(), index.ptr());
    assert_same_answers(&index, &copy, &xq);
    copy.add(&xq);
    assert_eq!(copy.ntotal(), index.ntotal() + 10);

    let xb = Rng::new(75).bytes(50 * 8);
    let binary = BinaryIndex::factory(64, "BFlat");
    binary.add(&xb);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_clone_index_binary(binary.ptr(), &mut p) });
    let copy = BinaryIndex::from_new(0, p);
    assert_eq!(copy.search(&xb[..16], 3), binary.search(&xb[..16], 3));
    check(unsafe { faissx::ffi::index_binary::faissx_IndexBinary_reset(copy.ptr()) });
    assert_eq!(unsafe { faissx_IndexBinary_ntotal(binary.ptr()) }, 50);
}
