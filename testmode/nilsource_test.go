package testmode_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// nilSources are the sources a test may hand the helpers by mistake, with
// what the failure must say about each.
func nilSources() []struct {
	name string
	src  testmode.Recorded
	says []string
} {
	var nilClient *testmode.Client
	return []struct {
		name string
		src  testmode.Recorded
		says []string
	}{
		{"nil interface", nil, []string{"src is nil", "WithMode", "*Client"}},
		{"nil *Store", (*testmode.Store)(nil), []string{"nil *Store", "StoreFrom", "WithMode"}},
		{"StoreFrom without WithMode", testmode.StoreFrom(context.Background()), []string{"nil *Store", "StoreFrom", "WithMode"}},
		{"nil *Client", nilClient, []string{"nil *Client", "NewClient"}},
	}
}

// nilHelpers runs every assertion helper on src and returns what each
// recorded; none may pass.
func nilHelpers() map[string]func(f *fakeTB, src testmode.Recorded) {
	ctx := context.Background()
	return map[string]func(f *fakeTB, src testmode.Recorded){
		"AssertEnqueued": func(f *fakeTB, src testmode.Recorded) {
			require.Nil(nil, testmode.AssertEnqueued(f, src, testmode.Match{}))
		},
		"RefuteEnqueued": func(f *fakeTB, src testmode.Recorded) {
			testmode.RefuteEnqueued(f, src, testmode.Match{Kind: "email"})
		},
		"AssertEnqueuedArgs": func(f *fakeTB, src testmode.Recorded) {
			require.Nil(nil, testmode.AssertEnqueuedArgs[emailArgs](f, src, nil))
		},
		"AssertEnqueuedArgsWithin": func(f *fakeTB, src testmode.Recorded) {
			require.Nil(nil, testmode.AssertEnqueuedArgsWithin[emailArgs](ctx, f, testmode.Within(time.Millisecond), src, nil))
		},
		"Within.AssertEnqueued": func(f *fakeTB, src testmode.Recorded) {
			require.Nil(nil, testmode.Within(time.Millisecond).AssertEnqueued(ctx, f, src, testmode.Match{}))
		},
		"Within.RefuteEnqueued": func(f *fakeTB, src testmode.Recorded) {
			testmode.Within(time.Millisecond).RefuteEnqueued(ctx, f, src, testmode.Match{})
		},
		"AssertEnqueuedOnce": func(f *fakeTB, src testmode.Recorded) {
			require.Nil(nil, testmode.AssertEnqueuedOnce[emailArgs](f, src, testmode.Match{}))
		},
		"AssertEnqueuedInOrder": func(f *fakeTB, src testmode.Recorded) {
			require.Nil(nil, testmode.AssertEnqueuedInOrder(f, src, testmode.Match{}))
		},
		"AllEnqueued": func(f *fakeTB, src testmode.Recorded) {
			rows, err := testmode.AllEnqueued(src, testmode.Match{})
			require.Nil(nil, rows)
			if err != nil {
				f.Errorf("%v", err)
				f.FailNow()
			}
		},
	}
}

// TestNilSourceFailsEveryHelper pins that no helper passes, or panics, on
// a nil or typed-nil source, and that each says what was nil and how to get
// a real one.
func TestNilSourceFailsEveryHelper(t *testing.T) {
	for _, src := range nilSources() {
		for name, helper := range nilHelpers() {
			t.Run(src.name+"/"+name, func(t *testing.T) {
				f := &fakeTB{}
				require.NotPanics(t, func() { helper(f, src.src) })
				require.True(t, f.failed, "%s passed on a %s", name, src.name)
				for _, s := range src.says {
					require.Contains(t, f.message(), s)
				}
				require.Contains(t, f.message(), "testmode: "+name+": ", "the failure names the helper")
			})
		}
	}
}

// TestNilStoreJobsSaysWhy pins that Store.Jobs on the nil store of a
// context without WithMode panics with a message, rather than answering
// "no jobs".
func TestNilStoreJobsSaysWhy(t *testing.T) {
	require.PanicsWithValue(t, "testmode: Jobs called on a nil *Store: StoreFrom returns nil for a context that did not go through WithMode", func() {
		testmode.StoreFrom(context.Background()).Jobs()
	})
}
