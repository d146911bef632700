package faiss

/*
#include "fx.h"

static int fx_write_fname(const FaissIndex *i, const char *fname, char **msg) {
	return fx_check(faissx_write_index_fname(i, fname), msg);
}

static int fx_read_fname(const char *fname, int flags, FaissIndex **out, char **msg) {
	return fx_check(faissx_read_index_fname(fname, flags, out), msg);
}

static int fx_write_buf(const FaissIndex *i, size_t *size, uint8_t **buf, char **msg) {
	return fx_check(faissx_write_index_buf(i, size, buf), msg);
}

static int fx_read_buf(const uint8_t *buf, size_t size, int flags, FaissIndex **out, char **msg) {
	return fx_check(faissx_read_index_buf(buf, size, flags, out), msg);
}
*/
import "C"

import "unsafe"

// Flags of ReadIndex and ReadIndexFromBuffer.
const (
	IOFlagMmap     = C.FAISS_IO_FLAG_MMAP
	IOFlagReadOnly = C.FAISS_IO_FLAG_READ_ONLY
)

// WriteIndex writes idx to filename in FAISS's file format (FAISS's Python and C++ read it).
func WriteIndex(idx Index, filename string) error {
	h, err := handle("WriteIndex", idx)
	if err != nil {
		return err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if err := h.live("WriteIndex"); err != nil {
		return err
	}
	cname := C.CString(filename)
	defer freeString(cname)
	var msg *C.char
	return cError(C.fx_write_fname(h.ptr, cname, &msg), msg)
}

// ReadIndex reads an index written by WriteIndex (or by FAISS). ioflags: 0 or IOFlag*.
func ReadIndex(filename string, ioflags int) (*IndexImpl, error) {
	cname := C.CString(filename)
	defer freeString(cname)
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_read_fname(cname, C.int(ioflags), &ptr, &msg), msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}

// WriteIndexToBuffer serializes idx in FAISS's file format.
func WriteIndexToBuffer(idx Index) ([]byte, error) {
	h, err := handle("WriteIndexToBuffer", idx)
	if err != nil {
		return nil, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if err := h.live("WriteIndexToBuffer"); err != nil {
		return nil, err
	}
	var size C.size_t
	var buf *C.uint8_t
	var msg *C.char
	if err := cError(C.fx_write_buf(h.ptr, &size, &buf, &msg), msg); err != nil {
		return nil, err
	}
	defer C.faissx_free_buf(&buf)
	out := make([]byte, int(size))
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(size)))
	return out, nil
}

// ReadIndexFromBuffer reads an index serialized by WriteIndexToBuffer, WriteIndex or FAISS.
// buf is copied: it may be reused afterwards.
func ReadIndexFromBuffer(buf []byte, ioflags int) (*IndexImpl, error) {
	var ptr *C.FaissIndex
	var msg *C.char
	rc := C.fx_read_buf((*C.uint8_t)(unsafe.SliceData(buf)), C.size_t(len(buf)), C.int(ioflags), &ptr, &msg)
	if err := cError(rc, msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}
