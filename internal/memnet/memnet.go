// Package memnet is an in-memory network for the tests of the examples:
// listeners whose connections are the server ends of net.Pipe pairs, and a
// dial function that hands the client end to the listener it names.
//
// A goroutine blocked on it is durably blocked in a testing/synctest bubble
// (net.Pipe and the listener wait on channels only), so an HTTP server and
// its clients on this network run on the bubble's clock: their deadlines,
// timeouts and sleeps last exactly what they say, however busy the machine
// is. On the loopback interface, a goroutine waiting for a socket keeps the
// bubble's clock from advancing. Create a Network inside the bubble that
// uses it.
package memnet

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// Network holds listeners by address. The zero value is ready to use.
type Network struct {
	mu        sync.Mutex
	listeners map[string]*listener
	n         int
}

// Listen returns a listener on a new address of n, "memory:1" for the
// first, "memory:2" for the next, and so on.
func (n *Network) Listen() (net.Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.listeners == nil {
		n.listeners = map[string]*listener{}
	}
	n.n++
	l := &listener{net: n, addr: addr(fmt.Sprintf("memory:%d", n.n)), conns: make(chan net.Conn), closed: make(chan struct{})}
	n.listeners[l.addr.String()] = l
	return l, nil
}

// DialContext connects to the listener at address, as net.Dialer's
// DialContext does on a real network: it returns once the listener has
// accepted the connection, with ECONNREFUSED when no open listener has the
// address, and with ctx's error when ctx ends first. network is not
// looked at.
func (n *Network) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	n.mu.Lock()
	l := n.listeners[address]
	n.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: "memory", Addr: addr(address), Err: syscall.ECONNREFUSED}
	if l == nil {
		return nil, refused
	}
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		client.Close()
		server.Close()
		return nil, refused
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, &net.OpError{Op: "dial", Net: "memory", Addr: addr(address), Err: ctx.Err()}
	}
}

type listener struct {
	net       *Network
	addr      addr
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "memory", Addr: l.addr, Err: net.ErrClosed}
	}
}

// Close stops accepting and frees the address; connections already
// accepted stay open.
func (l *listener) Close() error {
	err := error(&net.OpError{Op: "close", Net: "memory", Addr: l.addr, Err: net.ErrClosed})
	l.closeOnce.Do(func() {
		err = nil
		close(l.closed)
		l.net.mu.Lock()
		delete(l.net.listeners, l.addr.String())
		l.net.mu.Unlock()
	})
	return err
}

func (l *listener) Addr() net.Addr { return l.addr }

// addr is an address of a Network.
type addr string

func (a addr) Network() string { return "memory" }
func (a addr) String() string  { return string(a) }

var _ net.Listener = (*listener)(nil)
