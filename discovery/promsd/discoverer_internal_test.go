package promsd

import (
	"maps"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// A label set shared as Labels reads as a copy would: lookups, length,
// iteration and equality.
func TestLabelsShareTheLabelSet(t *testing.T) {
	ls := model.LabelSet{"__address__": "a:1", "env": "prod", "__meta_x": ""}
	for i := range 100 {
		ls[model.LabelName("k"+string(rune('a'+i%26))+string(rune('a'+i/26)))] = "v"
	}
	got := labels(ls)
	want := make(discovery.Labels, len(ls))
	for k, v := range ls {
		want[string(k)] = string(v)
	}
	require.Equal(t, len(want), len(got))
	require.True(t, maps.Equal(want, got))
	v, ok := got["env"]
	require.True(t, ok)
	require.Equal(t, "prod", v)
	_, ok = got["missing"]
	require.False(t, ok)
	require.Nil(t, labels(nil))
	require.Nil(t, labels(model.LabelSet{}))
}
