package errprio

import (
	stderrors "errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
)

func TestHTTPRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   Code
	}{
		{WithCode(errors.Wrap(errStdSentinel, "commit"), CodeSerializationFailure), 409, CodeSerializationFailure},
		{WithCode(stderrors.New("slow down"), CodeTooManyRequests), 429, CodeTooManyRequests},
		{WithCode(stderrors.New("gone"), CodeNoData), 404, CodeNoData},
		{WithCode(stderrors.New("caller left"), CodeQueryCanceled), 499, CodeQueryCanceled},
		{stderrors.New("no code"), 500, CodeUncategorized},
		{WithCode(stderrors.New("custom"), "ZZ999"), 500, "ZZ999"},
	} {
		t.Run(string(tc.code), func(t *testing.T) {
			rec := httptest.NewRecorder()
			require.NoError(t, WriteHTTP(rec, tc.err))
			resp := rec.Result()
			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, ContentType, resp.Header.Get("Content-Type"))
			require.Equal(t, string(tc.code), resp.Header.Get(HeaderCode))
			got := ReadHTTP(resp)
			require.Error(t, got)
			require.Equal(t, tc.err.Error(), got.Error())
			require.Equal(t, Flatten(tc.err), Flatten(got))
			require.Equal(t, errors.Is(tc.err, errStdSentinel), errors.Is(got, errStdSentinel))
		})
	}
}

func TestWriteHTTPNil(t *testing.T) {
	rec := httptest.NewRecorder()
	require.NoError(t, WriteHTTP(rec, nil))
	require.False(t, rec.Flushed)
	require.Empty(t, rec.Body.Bytes())
	require.Empty(t, rec.Header())
}

func TestWriteHTTPOverLimitSendsTruncatedError(t *testing.T) {
	c, err := NewCodec(Options{MaxBytes: 8 << 10, MaxDepth: 100, MaxNodes: 100})
	require.NoError(t, err)
	big := WithCode(stderrors.New(strings.Repeat("é", 10<<10)), CodeInvalidInput)
	rec := httptest.NewRecorder()
	err = c.WriteHTTP(rec, big)
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "errprio: WriteHTTP: sent a truncated error: errprio: encode: limit exceeded")
	resp := rec.Result()
	require.Equal(t, 400, resp.StatusCode)
	got := c.ReadHTTP(resp)
	require.Equal(t, CodeInvalidInput, CodeOf(got))
	require.Equal(t, strings.Repeat("é", fallbackMessageBytes/2), got.Error())
}

func TestWriteHTTPReportsWriteFailure(t *testing.T) {
	w := &failingWriter{ResponseRecorder: httptest.NewRecorder()}
	err := WriteHTTP(w, stderrors.New("x"))
	require.ErrorIs(t, err, errWriteFailed)
	require.Contains(t, err.Error(), "errprio: WriteHTTP: writing the body")
}

var errWriteFailed = stderrors.New("write failed")

type failingWriter struct{ *httptest.ResponseRecorder }

func (*failingWriter) Write([]byte) (int, error) { return 0, errWriteFailed }

func response(status int, header http.Header, body io.Reader) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(body)}
}

func TestReadHTTPForeignResponses(t *testing.T) {
	require.NoError(t, ReadHTTP(response(200, nil, strings.NewReader("ok"))))
	require.NoError(t, ReadHTTP(response(304, nil, strings.NewReader(""))))

	for _, tc := range []struct {
		name   string
		resp   *http.Response
		code   Code
		msg    string
		wantIs error
	}{
		{
			"proxy 503 is retryable",
			response(503, http.Header{"Content-Type": {"text/plain"}}, strings.NewReader("  upstream connect error\n")),
			CodeCannotConnectNow, "errprio: HTTP 503 Service Unavailable: upstream connect error", nil,
		},
		{
			"429 is retryable",
			response(429, nil, strings.NewReader("")),
			CodeTooManyRequests, "errprio: HTTP 429 Too Many Requests", nil,
		},
		{
			"plain 404 has no code",
			response(404, nil, strings.NewReader("nope")),
			CodeUncategorized, "errprio: HTTP 404 Not Found: nope", nil,
		},
		{
			"header code without body",
			response(409, http.Header{HeaderCode: {"40001"}}, strings.NewReader("conflict")),
			CodeSerializationFailure, "errprio: HTTP 409 Conflict: conflict", nil,
		},
		{
			"malformed header code is ignored",
			response(500, http.Header{HeaderCode: {"not a code"}}, strings.NewReader("")),
			CodeUncategorized, "errprio: HTTP 500 Internal Server Error", nil,
		},
		{
			"corrupt encoded body",
			response(500, http.Header{"Content-Type": {ContentType}, HeaderCode: {"XX000"}}, strings.NewReader("\x12\x00")),
			CodeInternal, "errprio: HTTP 500 Internal Server Error: undecodable error body: errprio: decode: malformed encoding at byte 2: wrapper has no cause", ErrMalformed,
		},
		{
			"empty encoded body",
			response(500, http.Header{"Content-Type": {ContentType + "; v=1"}}, strings.NewReader("")),
			CodeUncategorized, "errprio: HTTP 500 Internal Server Error: undecodable error body: errprio: ReadHTTP: empty error body", nil,
		},
		{
			"oversized encoded body",
			response(500, http.Header{"Content-Type": {ContentType}}, strings.NewReader(strings.Repeat("x", 1<<20+10))),
			CodeUncategorized, "errprio: HTTP 500 Internal Server Error: undecodable error body: errprio: decode: limit exceeded: body is more than Options.MaxBytes = 1048576 bytes", ErrLimit,
		},
		{
			"body read fails",
			response(502, nil, iotest.ErrReader(errWriteFailed)),
			CodeUncategorized, "errprio: HTTP 502 Bad Gateway: undecodable error body: errprio: ReadHTTP: reading the body: write failed", errWriteFailed,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ReadHTTP(tc.resp)
			require.Error(t, err)
			require.Equal(t, tc.msg, err.Error())
			require.Equal(t, tc.code, CodeOf(err))
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			require.Equal(t, tc.resp.StatusCode, he.StatusCode)
			if tc.wantIs != nil {
				require.ErrorIs(t, err, tc.wantIs)
			}
		})
	}
}

func TestHTTPErrorBodyIsBounded(t *testing.T) {
	err := ReadHTTP(response(502, nil, strings.NewReader(strings.Repeat("a", 5000))))
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	require.Len(t, he.Body, bodySnippetBytes)
	require.Equal(t, "errprio: HTTP 599", (&HTTPError{StatusCode: 599}).Error())
	require.Equal(t, fmt.Sprint(he), he.Error())
}
