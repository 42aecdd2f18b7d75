package models

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// A TorchScript archive (torch.jit.save) is a zip holding, under one top
// folder, data.pkl (the module tree, pickled), data/N (the raw bytes of
// tensor storage N, in the byte order named by the file byteorder) and
// code/ (the scripted classes, which say which attributes are parameters
// and buffers). gopickle runs the pickle machine; the torch and __torch__
// names it meets are stood in for here by the little they need to be, so
// nothing of PyTorch is needed to read the weights.

// tsArchive is an opened TorchScript archive.
type tsArchive struct {
	files  map[string]*zip.File // by path inside the archive
	prefix string               // the top folder, with its slash
	root   *tsObject
}

// tsObject is an instance of a scripted class: its attributes, as
// torch.jit pickles them (a dict set by BUILD).
type tsObject struct {
	module, class string
	attrs         map[string]any
}

func (o *tsObject) PySetState(state any) error {
	d, ok := state.(*types.Dict)
	if !ok {
		return fmt.Errorf("%s.%s: state is %T, not a dict", o.module, o.class, state)
	}
	for _, e := range *d {
		k, ok := e.Key.(string)
		if !ok {
			return fmt.Errorf("%s.%s: attribute name %v is not a string", o.module, o.class, e.Key)
		}
		o.attrs[k] = e.Value
	}
	return nil
}

// tsClass is a scripted class (a __torch__ name); NEWOBJ makes an empty
// instance and BUILD fills it.
type tsClass struct{ module, name string }

func (c *tsClass) PyNew(args ...any) (any, error) {
	return &tsObject{module: c.module, class: c.name, attrs: map[string]any{}}, nil
}

// tsStorageType is torch.FloatStorage and its kin: only the element size
// and name matter here.
type tsStorageType struct {
	name string
	size int
}

// tsStorage is a reference to data/KEY.
type tsStorage struct {
	typ   *tsStorageType
	key   string
	numel int
}

// tsTensor is what torch._utils._rebuild_tensor_v2 makes: a view of a
// storage with an offset and strides, in elements.
type tsTensor struct {
	storage       *tsStorage
	offset        int
	shape, stride []int
}

// tsFunc lets a Go function stand for a Python one that REDUCE calls.
type tsFunc func(args ...any) (any, error)

func (f tsFunc) Call(args ...any) (any, error) { return f(args...) }

// openTorchScript reads the archive's module tree (not yet its tensors).
func openTorchScript(zr *zip.Reader) (*tsArchive, error) {
	a := &tsArchive{files: map[string]*zip.File{}}
	for _, f := range zr.File {
		a.files[f.Name] = f
		if dir, base := path.Split(f.Name); base == "data.pkl" && strings.Count(dir, "/") == 1 {
			a.prefix = dir
		}
	}
	if a.prefix == "" {
		return nil, fmt.Errorf("no TOP/data.pkl: not a TorchScript archive")
	}
	if order, err := a.read("byteorder"); err == nil && strings.TrimSpace(string(order)) != "little" {
		return nil, fmt.Errorf("tensors are stored %s-endian; only little-endian is read", strings.TrimSpace(string(order)))
	}
	pkl, err := a.read("data.pkl")
	if err != nil {
		return nil, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(pkl))
	u.FindClass = tsFindClass
	u.PersistentLoad = tsPersistentLoad
	v, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("unpickling %sdata.pkl: %w", a.prefix, err)
	}
	root, ok := v.(*tsObject)
	if !ok {
		return nil, fmt.Errorf("%sdata.pkl holds a %T, not a scripted module", a.prefix, v)
	}
	a.root = root
	return a, nil
}

// read returns a whole member named relative to the top folder.
func (a *tsArchive) read(name string) ([]byte, error) {
	f, ok := a.files[a.prefix+name]
	if !ok {
		return nil, fmt.Errorf("archive has no %s%s", a.prefix, name)
	}
	r, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", f.Name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name, err)
	}
	return b, nil
}

// tsFindClass resolves the GLOBALs a torch.jit pickle uses. Anything else
// is refused rather than guessed at: an unknown function could change what
// the tensors mean.
func tsFindClass(module, name string) (any, error) {
	switch {
	case strings.HasPrefix(module, "__torch__"):
		return &tsClass{module: module, name: name}, nil
	case module == "torch" && name == "FloatStorage":
		return &tsStorageType{name: name, size: 4}, nil
	case module == "torch._utils" && name == "_rebuild_tensor_v2":
		return tsFunc(rebuildTensor), nil
	case module == "torch.jit._pickle" && strings.HasPrefix(name, "build_") && name != "build_tensor_from_id":
		// build_intlist, build_doublelist...: the list itself.
		return tsFunc(func(args ...any) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("%s: %d arguments", name, len(args))
			}
			return args[0], nil
		}), nil
	case module == "torch.jit._pickle" && name == "restore_type_tag":
		return tsFunc(func(args ...any) (any, error) {
			if len(args) != 2 {
				return nil, fmt.Errorf("%s: %d arguments", name, len(args))
			}
			return args[0], nil
		}), nil
	}
	return nil, fmt.Errorf("unsupported pickle global %s.%s (not a float32 TorchScript module?)", module, name)
}

// tsPersistentLoad resolves ('storage', TYPE, KEY, LOCATION, NUMEL).
func tsPersistentLoad(id any) (any, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() != 5 || t.Get(0) != "storage" {
		return nil, fmt.Errorf("unsupported persistent id %v", id)
	}
	typ, ok1 := t.Get(1).(*tsStorageType)
	key, ok2 := t.Get(2).(string)
	n, err := pyInt(t.Get(4))
	if !ok1 || !ok2 || err != nil {
		return nil, fmt.Errorf("malformed storage reference %v", id)
	}
	return &tsStorage{typ: typ, key: key, numel: n}, nil
}

// rebuildTensor is _rebuild_tensor_v2(storage, offset, size, stride,
// requires_grad, backward_hooks[, metadata]).
func rebuildTensor(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d arguments", len(args))
	}
	st, ok := args[0].(*tsStorage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: storage is %T", args[0])
	}
	off, err := pyInt(args[1])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2 offset: %w", err)
	}
	shape, err := pyInts(args[2])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2 size: %w", err)
	}
	stride, err := pyInts(args[3])
	if err != nil || len(stride) != len(shape) {
		return nil, fmt.Errorf("_rebuild_tensor_v2 stride %v for size %v: %v", args[3], shape, err)
	}
	return &tsTensor{storage: st, offset: off, shape: shape, stride: stride}, nil
}

func pyInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case int32:
		return int(n), nil
	case int64:
		return int(n), nil
	}
	return 0, fmt.Errorf("%v (%T) is not a small integer", v, v)
}

func pyInts(v any) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("%T is not a tuple", v)
	}
	out := make([]int, t.Len())
	for i := range out {
		n, err := pyInt(t.Get(i))
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// stateTensor finds the tensor a module's state_dict calls name
// ("_model.encoder.0.reparam_conv.weight"): the attribute path through the
// module tree, whose last step must be declared a parameter or buffer of
// its class, as state_dict requires (a plain tensor attribute is not in it).
func (a *tsArchive) stateTensor(name string) (*tsTensor, error) {
	parts := strings.Split(name, ".")
	owner := a.root
	for _, p := range parts[:len(parts)-1] {
		next, ok := owner.attrs[p].(*tsObject)
		if !ok {
			return nil, fmt.Errorf("%s: %s.%s has no submodule %q", name, owner.module, owner.class, p)
		}
		owner = next
	}
	last := parts[len(parts)-1]
	t, ok := owner.attrs[last].(*tsTensor)
	if !ok {
		return nil, fmt.Errorf("%s: %s.%s has no tensor %q", name, owner.module, owner.class, last)
	}
	state, err := a.stateNames(owner)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !slices.Contains(state, last) {
		return nil, fmt.Errorf("%s: %q is neither a parameter nor a buffer of %s.%s", name, last, owner.module, owner.class)
	}
	return t, nil
}

// stateNames reads the __parameters__ and __buffers__ lists of an object's
// class from its code file (code/__torch__/a/b.py for module __torch__.a.b).
func (a *tsArchive) stateNames(o *tsObject) ([]string, error) {
	file := "code/" + strings.ReplaceAll(o.module, ".", "/") + ".py"
	src, err := a.read(file)
	if err != nil {
		return nil, err
	}
	var names []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") {
			in = strings.HasPrefix(line, "class "+o.class+"(")
			continue
		}
		trimmed := strings.TrimSpace(line)
		for _, decl := range []string{"__parameters__ = [", "__buffers__ = ["} {
			if list, ok := strings.CutPrefix(trimmed, decl); in && ok {
				for _, q := range strings.Split(strings.TrimSuffix(list, "]"), ",") {
					if q = strings.Trim(strings.TrimSpace(q), `"`); q != "" {
						names = append(names, q)
					}
				}
			}
		}
	}
	return names, sc.Err()
}

// float32s returns the tensor's elements in row-major order of its shape,
// following its offset and strides into the storage.
func (a *tsArchive) float32s(t *tsTensor) ([]float32, error) {
	if t.storage.typ.name != "FloatStorage" {
		return nil, fmt.Errorf("storage %s is %s, not float32", t.storage.key, t.storage.typ.name)
	}
	raw, err := a.read("data/" + t.storage.key)
	if err != nil {
		return nil, err
	}
	if len(raw) != 4*t.storage.numel {
		return nil, fmt.Errorf("storage %s has %d bytes for %d float32s", t.storage.key, len(raw), t.storage.numel)
	}
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	out := make([]float32, n)
	idx := make([]int, len(t.shape))
	for i := range out {
		at := t.offset
		for k, j := range idx {
			at += j * t.stride[k]
		}
		if at < 0 || at >= t.storage.numel {
			return nil, fmt.Errorf("storage %s: element %d of a %v view is outside its %d elements", t.storage.key, i, t.shape, t.storage.numel)
		}
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*at:]))
		for k := len(idx) - 1; k >= 0; k-- { // next row-major index
			if idx[k]++; idx[k] < t.shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out, nil
}
