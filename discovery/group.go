package discovery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery/internal/yamlbound"
	"github.com/ecopatterns/ecopatterns/options"
)

// groupFields are the keys of a group's JSON and YAML forms.
var groupFields = []string{"targets", "labels"}

// UnmarshalJSON decodes the form {"targets": ["host:port", ...], "labels":
// {"name": "value"}}, the form of Prometheus's static configs and target
// files. Each target becomes a target whose only label is AddressLabel.
// Unknown keys, trailing data, empty targets, targets holding white space
// or control characters, and empty label names are errors. Source is left
// empty: the discoverer that reads the group sets it.
func (g *Group) UnmarshalJSON(data []byte) error {
	if err := g.decodeJSON(data); err != nil {
		return fmt.Errorf("discovery: group: %w", err)
	}
	return nil
}

// decodeJSON is UnmarshalJSON with messages that leave the prefix to the
// caller.
func (g *Group) decodeJSON(data []byte) error {
	var raw struct {
		Targets []string `json:"targets"`
		Labels  Labels   `json:"labels"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("%w%s", err, unknownJSONFieldHint(err, groupFields))
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("trailing data after the object")
	}
	return g.set(raw.Targets, raw.Labels)
}

// UnmarshalYAML decodes the YAML form of UnmarshalJSON, with the same
// rules, for go.yaml.in/yaml/v3 and for the other YAML modules that call
// this form of the method (gopkg.in/yaml.v3, gopkg.in/yaml.v2); see
// Configs.UnmarshalYAML for what differs with those.
func (g *Group) UnmarshalYAML(unmarshal func(any) error) error {
	n, err := yamlNodeOf(unmarshal)
	if err == nil {
		err = yamlbound.Check(n)
	}
	if err == nil {
		err = g.decodeYAML(n)
	}
	if err != nil {
		return fmt.Errorf("discovery: group: %w", err)
	}
	return nil
}

// decodeYAML is UnmarshalYAML with messages that leave the prefix to the
// caller.
func (g *Group) decodeYAML(n *yaml.Node) error {
	n = resolveYAML(n)
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%swant a mapping with keys targets and labels, got %s", atLine(n.Line), yamlKind(n))
	}
	var targets []string
	var labels Labels
	seen := make(map[string]bool, 2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return fmt.Errorf("%skey %q appears twice", atLine(k.Line), k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "targets":
			// yaml.v3 drops null entries of a sequence; make them errors.
			if v = resolveYAML(v); v.Kind == yaml.SequenceNode {
				for j, item := range v.Content {
					if item = resolveYAML(item); item.Kind == yaml.ScalarNode && item.ShortTag() == "!!null" {
						return fmt.Errorf("targets[%d]: empty target", j)
					}
				}
			}
			if err := v.Decode(&targets); err != nil {
				return fmt.Errorf("targets: %w", err)
			}
		case "labels":
			if err := v.Decode(&labels); err != nil {
				return fmt.Errorf("labels: %w", err)
			}
		default:
			return fmt.Errorf("%sunknown key %q%s", atLine(k.Line), k.Value, didYouMean(k.Value, groupFields))
		}
	}
	return g.set(targets, labels)
}

// set validates the decoded form and stores it in g.
func (g *Group) set(targets []string, labels Labels) error {
	for i, t := range targets {
		if err := checkTarget(t); err != nil {
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
	}
	for name := range labels {
		if name == "" {
			return errors.New("labels: empty label name")
		}
	}
	g.Targets = make([]Labels, len(targets))
	for i, t := range targets {
		g.Targets[i] = Labels{AddressLabel: t}
	}
	g.Labels = labels
	return nil
}

// checkTarget reports what is wrong with a target address.
func checkTarget(t string) error {
	if t == "" {
		return errors.New("empty target")
	}
	for _, r := range t {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("target %q holds white space or a control character", t)
		}
	}
	return nil
}

// MarshalJSON encodes g in the form UnmarshalJSON reads. It fails for a
// group that form cannot represent: a target with labels other than
// AddressLabel, or without one. Source is not encoded.
func (g Group) MarshalJSON() ([]byte, error) {
	f, err := g.form()
	if err != nil {
		return nil, err
	}
	return json.Marshal(f)
}

// MarshalYAML encodes g in the form UnmarshalYAML reads, with the limits of
// MarshalJSON.
func (g Group) MarshalYAML() (any, error) {
	return g.form()
}

// groupForm is the encoded form of a group.
type groupForm struct {
	Targets []string `json:"targets" yaml:"targets"`
	Labels  Labels   `json:"labels,omitempty" yaml:"labels,omitempty"`
}

func (g *Group) form() (groupForm, error) {
	f := groupForm{Targets: make([]string, len(g.Targets)), Labels: g.Labels}
	for i, t := range g.Targets {
		addr, ok := t[AddressLabel]
		if !ok || len(t) != 1 {
			return groupForm{}, fmt.Errorf("discovery: group %q: target %d has labels other than %s; the targets/labels form cannot hold them", g.Source, i, AddressLabel)
		}
		f.Targets[i] = addr
	}
	return f, nil
}

// resolveYAML follows document and alias nodes to the node holding the
// value.
func resolveYAML(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch {
		case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
			n = n.Content[0]
		case n.Kind == yaml.AliasNode && n.Alias != nil:
			n = n.Alias
		default:
			return n
		}
	}
	return &yaml.Node{}
}

// yamlKind names the kind of a YAML node for messages.
func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "the scalar " + strconv.Quote(n.Value)
	default:
		return "nothing"
	}
}

// didYouMean formats a suggestion among candidates as a message suffix, or
// "" when none is close.
func didYouMean(got string, candidates []string) string {
	if s, ok := options.Suggest(got, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// unknownJSONFieldHint returns a did-you-mean suffix for the unknown-field
// error of encoding/json, or "".
func unknownJSONFieldHint(err error, candidates []string) string {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return ""
	}
	name, uerr := strconv.Unquote(rest)
	if uerr != nil || slices.Contains(candidates, name) {
		return ""
	}
	return didYouMean(name, candidates)
}
