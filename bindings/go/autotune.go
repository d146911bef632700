package faiss

/*
#include "fx.h"

static int fx_ps_new(FaissParameterSpace **out, char **msg) {
	return fx_check(faissx_ParameterSpace_new(out), msg);
}

static int fx_ps_set(const FaissParameterSpace *ps, FaissIndex *i, const char *name, double v,
		char **msg) {
	return fx_check(faissx_ParameterSpace_set_index_parameter(ps, i, name, v), msg);
}
*/
import "C"

import (
	"runtime"
	"sync"
)

// ParameterSpace sets index parameters by name, as in go-faiss.
type ParameterSpace struct {
	mu sync.RWMutex
	ps *C.FaissParameterSpace // nil once deleted
}

// NewParameterSpace creates a parameter space.
func NewParameterSpace() (*ParameterSpace, error) {
	var ps *C.FaissParameterSpace
	var msg *C.char
	if err := cError(C.fx_ps_new(&ps, &msg), msg); err != nil {
		return nil, err
	}
	p := &ParameterSpace{ps: ps}
	runtime.SetFinalizer(p, (*ParameterSpace).Delete)
	return p, nil
}

// SetIndexParameter sets the parameter name ("nprobe", "efSearch", "efConstruction", "ht",
// "max_codes", "quantizer_efSearch", ...) of idx to val.
func (p *ParameterSpace) SetIndexParameter(idx Index, name string, val float64) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.ps == nil {
		return invalid("ParameterSpace.SetIndexParameter: the parameter space was deleted")
	}
	h, err := handle("ParameterSpace.SetIndexParameter", idx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.live("ParameterSpace.SetIndexParameter"); err != nil {
		return err
	}
	cname := C.CString(name)
	defer freeString(cname)
	var msg *C.char
	return cError(C.fx_ps_set(p.ps, h.ptr, cname, C.double(val), &msg), msg)
}

// Delete frees the parameter space; calling it again does nothing.
func (p *ParameterSpace) Delete() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ps != nil {
		C.faissx_ParameterSpace_free(p.ps)
		p.ps = nil
		runtime.SetFinalizer(p, nil)
	}
}
