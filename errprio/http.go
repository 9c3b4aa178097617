package errprio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// ContentType is the media type of a response body that holds an
	// encoded error ([Encode]).
	ContentType = "application/vnd.ecopatterns.error+protobuf"
	// HeaderCode is the response header that carries the error's code
	// ([CodeOf]), so that a consumer (or a proxy, or curl) can branch on
	// it without decoding the body.
	HeaderCode = "Ecopatterns-Error-Code"
)

// fallbackMessageBytes bounds the message WriteHTTP sends when the full
// error cannot be encoded within the limits.
const fallbackMessageBytes = 4096

// bodySnippetBytes bounds the part of a foreign error body that ReadHTTP
// keeps in HTTPError.Body.
const bodySnippetBytes = 512

// WriteHTTP is [Codec.WriteHTTP] with [DefaultOptions].
func WriteHTTP(w http.ResponseWriter, err error) error { return defaultCodec.WriteHTTP(w, err) }

// ReadHTTP is [Codec.ReadHTTP] with [DefaultOptions].
func ReadHTTP(resp *http.Response) error { return defaultCodec.ReadHTTP(resp) }

// WriteHTTP answers an HTTP request with err: the status is the HTTPStatus
// of err's code ([CodeOf], 500 for unregistered codes), the [HeaderCode]
// header holds the code, and the body, of type [ContentType], is the
// encoded error ([Codec.Encode]), so a [Codec.ReadHTTP] on the other side
// gets the whole tree back. A nil err writes nothing.
//
// When err cannot be encoded within the limits, WriteHTTP still writes the
// status and code, with a body holding only the code and the first 4 KiB
// of the message, and returns the encoding error. It also returns the
// error of writing the body, if any. It must be called before anything
// else is written to w.
func (c *Codec) WriteHTTP(w http.ResponseWriter, err error) error {
	if err == nil {
		return nil
	}
	code := CodeOf(err)
	spec := lookup(code)
	if spec == nil {
		spec = uncategorized()
	}
	// Registered encoders receive a context; a response writer has none
	// to give, and encoding does not block.
	ctx := context.Background()
	data, encErr := c.Encode(ctx, err)
	if encErr != nil {
		fallback := WithCode(errors.New(truncateUTF8(err.Error(), fallbackMessageBytes)), code)
		data, _ = c.Encode(ctx, fallback) // nil (empty body) if even this is over MaxBytes
		encErr = fmt.Errorf("errprio: WriteHTTP: sent a truncated error: %w", encErr)
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(HeaderCode, string(code))
	w.WriteHeader(spec.HTTPStatus)
	if _, werr := w.Write(data); werr != nil {
		return errors.Join(encErr, fmt.Errorf("errprio: WriteHTTP: writing the body: %w", werr))
	}
	return encErr
}

// ReadHTTP returns the error an HTTP response carries, or nil for a status
// below 400. It reads the body (at most Options.MaxBytes of it) but does
// not close it; the caller closes it as usual.
//
// A body of type [ContentType] is decoded ([Codec.Decode]) and the error
// returned as it was sent, with its whole tree. Any other error response
// (from a proxy, a load balancer, a server that does not use this package)
// becomes an [*HTTPError] wrapped with a code: the [HeaderCode] header's if
// it holds a well-formed code, otherwise [CodeTooManyRequests] for 429 and
// [CodeCannotConnectNow] for 503 (both retryable, as such answers from
// infrastructure usually are), otherwise none, so that [CodeOf] reports
// [CodeUncategorized]. A body that claims [ContentType] but does not decode
// also yields an *HTTPError, whose Err says why.
func (c *Codec) ReadHTTP(resp *http.Response) error {
	if resp.StatusCode < 400 {
		return nil
	}
	code := Code(resp.Header.Get(HeaderCode))
	if !validCode(code) {
		code = statusCode(resp.StatusCode)
	}
	herr := &HTTPError{StatusCode: resp.StatusCode}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, int64(c.opts.MaxBytes)+1))
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case readErr != nil:
		herr.Err = fmt.Errorf("errprio: ReadHTTP: reading the body: %w", readErr)
	case mediaType != ContentType:
		herr.Body = strings.TrimSpace(truncateUTF8(string(body), bodySnippetBytes))
	case len(body) > c.opts.MaxBytes:
		herr.Err = overLimit("decode", -1, fmt.Sprintf("body is more than Options.MaxBytes = %d bytes", c.opts.MaxBytes))
	default:
		// The request's context reaches registered decoders; a response
		// built by hand may have no request.
		ctx := context.Background()
		if resp.Request != nil {
			ctx = resp.Request.Context()
		}
		werr, decoded := c.decode(ctx, body)
		switch {
		case werr != nil:
			herr.Err = werr
		case decoded == nil:
			herr.Err = errors.New("errprio: ReadHTTP: empty error body")
		default:
			return decoded
		}
	}
	return WithCode(herr, code)
}

// HTTPError is an HTTP error response that did not carry an encoded error,
// or whose encoded error could not be read. [Codec.ReadHTTP] returns it
// wrapped with a code.
type HTTPError struct {
	// StatusCode is the response's status code.
	StatusCode int
	// Body holds the start (up to 512 bytes) of a body that was not an
	// encoded error, for logs; it is empty otherwise.
	Body string
	// Err says why an encoded error body could not be read, or is nil.
	Err error
}

// Error returns a message such as "errprio: HTTP 503 Service Unavailable:
// upstream connect error".
func (e *HTTPError) Error() string {
	var b strings.Builder
	b.WriteString("errprio: HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" ")
		b.WriteString(t)
	}
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	if e.Err != nil {
		b.WriteString(": undecodable error body: ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *HTTPError) Unwrap() error { return e.Err }

// statusCode is the code ReadHTTP gives a foreign error response.
func statusCode(status int) Code {
	switch status {
	case http.StatusTooManyRequests:
		return CodeTooManyRequests
	case http.StatusServiceUnavailable:
		return CodeCannotConnectNow
	}
	return ""
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
