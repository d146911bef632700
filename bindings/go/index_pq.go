package faiss

/*
#include "fx.h"

static int fx_pq_new(FaissIndex **out, int d, size_t m, size_t nbits, int metric, char **msg) {
	return fx_check(faissx_IndexPQ_new_with(out, d, m, nbits, (FaissMetricType)metric), msg);
}

static int fx_sq_new(FaissIndex **out, idx_t d, int qt, int metric, char **msg) {
	return fx_check(faissx_IndexScalarQuantizer_new_with(out, d, (FaissQuantizerType)qt,
		(FaissMetricType)metric), msg);
}
*/
import "C"

// Scalar quantizer types: how each vector component is encoded.
const (
	QT8bit             = C.QT_8bit
	QT4bit             = C.QT_4bit
	QT8bitUniform      = C.QT_8bit_uniform
	QT4bitUniform      = C.QT_4bit_uniform
	QTFp16             = C.QT_fp16
	QT8bitDirect       = C.QT_8bit_direct
	QT6bit             = C.QT_6bit
	QTBf16             = C.QT_bf16
	QT8bitDirectSigned = C.QT_8bit_direct_signed
)

// NewIndexPQ creates a product-quantizer index: vectors cut into M sub-vectors (M divides d),
// each encoded on nbits bits. Train before Add.
func NewIndexPQ(d, M, nbits int, metric int) (*IndexImpl, error) {
	if err := positive("NewIndexPQ", []string{"M", "nbits"}, M, nbits); err != nil {
		return nil, err
	}
	var ptr *C.FaissIndex
	var msg *C.char
	rc := C.fx_pq_new(&ptr, C.int(d), C.size_t(M), C.size_t(nbits), C.int(metric), &msg)
	if err := cError(rc, msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}

// NewIndexScalarQuantizer creates an index encoding each component with qtype (QT8bit,
// QTFp16, ...). Train before Add.
func NewIndexScalarQuantizer(d, qtype int, metric int) (*IndexImpl, error) {
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_sq_new(&ptr, C.idx_t(d), C.int(qtype), C.int(metric), &msg), msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}
