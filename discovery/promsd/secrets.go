package promsd

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// digestKey keys the digests of MarshalJSON. It is random per process, so
// a digest can be compared within the process and tells nothing outside it.
var digestKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never returns an error.
	return k
}()

// collectSecrets returns the values of every config.Secret reachable from
// v through exported fields, pointers, slices, arrays and maps, in a
// deterministic order, empty values included (their position matters to
// the digest).
func collectSecrets(v reflect.Value) []string {
	var out []string
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if depth > 32 || !v.IsValid() {
			return
		}
		if v.Type() == secretType {
			out = append(out, v.String())
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), depth+1)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i), depth+1)
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i), depth+1)
			}
		case reflect.Map:
			keys := v.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int {
				return strings.Compare(keyString(a), keyString(b))
			})
			for _, k := range keys {
				out = append(out, "key:"+keyString(k))
				walk(v.MapIndex(k), depth+1)
			}
		}
	}
	walk(v, 0)
	hasSecret := slices.ContainsFunc(out, func(s string) bool { return s != "" && !strings.HasPrefix(s, "key:") })
	if !hasSecret {
		return nil
	}
	return out
}

func keyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	return k.Type().String()
}

// digest returns a hex HMAC-SHA256 of values under digestKey.
func digest(values []string) string {
	h := hmac.New(sha256.New, digestKey)
	for _, v := range values {
		h.Write([]byte(strconv.Itoa(len(v))))
		h.Write([]byte{':'})
		h.Write([]byte(v))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// minScrub is the length below which a secret is not scrubbed from text:
// a value of one to three characters cannot be told apart from ordinary
// words, and replacing it would garble every message.
const minScrub = 4

// v2Shortened is the length above which yaml.v2 quotes a value in an
// error by its first v2Kept bytes and "...".
const v2Shortened, v2Kept = 10, 7

// scrub replaces every value of secrets of at least minScrub bytes in s
// with <secret>, in one pass, longest first where two start at the same
// place. The shortened form of a long value that yaml.v2 quotes in its
// errors ("`sup3rs3...`") is replaced too.
func scrub(s string, secrets []string) string {
	var pairs []string
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range sorted {
		if len(sec) >= minScrub && !strings.HasPrefix(sec, "key:") {
			pairs = append(pairs, sec, "<secret>")
		}
	}
	for _, sec := range sorted {
		if len(sec) > v2Shortened && !strings.HasPrefix(sec, "key:") {
			pairs = append(pairs, "`"+sec[:v2Kept]+"...`", "`<secret>`")
		}
	}
	if len(pairs) == 0 {
		return s
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
