package errprio

import (
	"bytes"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
)

// A coded error logs as one line with its code, message and hints, with
// either of slog's handlers; %+v still prints the whole chain.
func TestCodedErrorLogsOnOneLine(t *testing.T) {
	coded := WithCode(errors.WithHint(errors.Wrap(errors.New("row locked"), "put k1"), "retry the\ntransaction"), CodeSerializationFailure)
	combinedErr := Combine(coded, WithCode(errors.New("busy"), CodeTooManyRequests))
	for name, err := range map[string]error{"coded": coded, "combined": combinedErr} {
		require.Greater(t, strings.Count(fmt.Sprintf("%+v", err), "\n"), 5, "%%+v is the full chain")

		var text bytes.Buffer
		slog.New(slog.NewTextHandler(&text, nil)).Error("failed", "err", err)
		line := text.String()
		require.Equal(t, 1, strings.Count(line, "\n"), "%s: %q", name, line)
		require.True(t, strings.HasSuffix(line, "\n"))
		require.Contains(t, line, `err.code=40001 err.msg="put k1: row locked" err.hint="retry the\ntransaction"`, name)

		var js bytes.Buffer
		slog.New(slog.NewJSONHandler(&js, nil)).Error("failed", "err", err)
		require.Equal(t, 1, strings.Count(js.String(), "\n"), name)
		var rec struct {
			Err struct{ Code, Msg, Hint string }
		}
		require.NoError(t, json.Unmarshal(js.Bytes(), &rec))
		require.Equal(t, "40001", rec.Err.Code)
		require.Equal(t, "put k1: row locked", rec.Err.Msg)
		require.Equal(t, "retry the\ntransaction", rec.Err.Hint)
	}
}

func TestLogValue(t *testing.T) {
	require.Equal(t, slog.GroupValue(), LogValue(nil))
	v := LogValue(stderrors.New("plain"))
	require.Equal(t, slog.GroupValue(slog.String("code", "XXUUU"), slog.String("msg", "plain")), v)

	// Any error, mapped through ReplaceAttr, whatever its outer layer.
	err := errors.Wrap(WithCode(errors.New("gone"), CodeNoData), "lookup")
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if e, ok := a.Value.Any().(error); ok {
			a.Value = LogValue(e)
		}
		return a
	}}))
	log.Info("x", "err", err)
	require.Equal(t, 1, strings.Count(out.String(), "\n"), out.String())
	require.Contains(t, out.String(), `err.code=02000 err.msg="lookup: gone"`)

	// A decoded error logs the same way.
	data, encErr := Encode(t.Context(), WithCode(errors.WithHint(errors.New("x"), "h"), CodeInternal))
	require.NoError(t, encErr)
	require.Equal(t, LogValue(WithCode(errors.WithHint(errors.New("x"), "h"), CodeInternal)), Decode(t.Context(), data).(slog.LogValuer).LogValue())
}
