package http

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/internal/groupjson"
)

// poller makes the requests of one Config.
type poller struct {
	url          string
	label        string // url without its password, for labels and messages
	interval     time.Duration
	timeout      time.Duration
	maxBody      int64
	maxTargets   int
	tokenFile    string
	user         string
	passwordFile string
	client       *http.Client
}

// readFile is os.ReadFile, the one way secrets are read.
var readFile = os.ReadFile

// refresh GETs the URL and decodes the groups of its body. Any failure
// returns no groups, so that the refresh loop keeps the last good ones.
func (p *poller) refresh(ctx context.Context) ([]*discovery.Group, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	body, err := p.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("http: GET %s: %w", p.label, err)
	}
	groups, err := decodeBody(body, p.maxTargets)
	if err != nil {
		return nil, fmt.Errorf("http: GET %s: %w", p.label, err)
	}
	for i, g := range groups {
		g.Source = p.label + ":" + strconv.Itoa(i)
		labels := make(discovery.Labels, len(g.Labels)+1)
		for k, v := range g.Labels {
			labels[k] = v
		}
		labels[URLLabel] = p.label
		g.Labels = labels
	}
	return groups, nil
}

// get makes one request and returns the body of a 200 response with a
// JSON content type, at most maxBody bytes of it.
func (p *poller) get(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ecopatterns-discovery")
	// Prometheus sends it, and servers use it to size their caches.
	req.Header.Set("X-Prometheus-Refresh-Interval-Seconds", strconv.FormatFloat(p.interval.Seconds(), 'f', -1, 64))
	if err := p.authenticate(req); err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() {
		// Read a little of what is left so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s, want 200 OK", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !isJSON(ct) {
		return nil, fmt.Errorf("content type %q, want application/json", ct)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if int64(len(body)) > p.maxBody {
		return nil, fmt.Errorf("body larger than max_body_size (%d bytes)", p.maxBody)
	}
	return body, nil
}

// authenticate sets the request's credentials, read from their files now.
func (p *poller) authenticate(req *http.Request) error {
	switch {
	case p.tokenFile != "":
		token, err := readSecret(p.tokenFile, "bearer_token_file")
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case p.user != "":
		password, err := readSecret(p.passwordFile, "basic_auth.password_file")
		if err != nil {
			return err
		}
		req.SetBasicAuth(p.user, password)
	}
	return nil
}

// isJSON reports whether a Content-Type header names application/json,
// parameters such as charset aside.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// decodeBody decodes a response body of HTTP discovery: a JSON list of
// groups in the targets/labels form of discovery.Group. A body that is not
// a list, holds a null entry, an unknown key, a bad target or trailing
// data, or lists more than maxTargets targets in all, is an error naming
// the entry. Sources and the URL label are left to the caller.
func decodeBody(body []byte, maxTargets int) ([]*discovery.Group, error) {
	return groupjson.DecodeList(body, maxTargets)
}
