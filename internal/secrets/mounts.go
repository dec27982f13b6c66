package secrets

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Values returns each variable's value as fetched (a binary secret's bytes
// unencoded), by env name: what the build may mount as BuildKit secrets.
func (r *Result) Values() map[string]string {
	m := make(map[string]string, len(r.Vars))
	for _, v := range r.Vars {
		m[v.Name] = string(v.raw)
	}
	return m
}

// Mounts returns the values of the variables names, by env name, as the
// image build mounts them. A name that was not fetched is an error.
func (r *Result) Mounts(names []string) (map[string][]byte, error) {
	all := r.Values()
	m := make(map[string][]byte, len(names))
	for _, name := range names {
		v, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("%q is not among the fetched secrets (%s)", name, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
		}
		m[name] = []byte(v)
	}
	return m, nil
}
