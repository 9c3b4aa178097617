package testmode

// itemRing is a FIFO of queued jobs in a ring buffer whose size is a power
// of two.
type itemRing struct {
	buf  []heapItem
	head int // index of the first item
	n    int // number of items
}

func (r *itemRing) push(it heapItem) {
	if r.n == len(r.buf) {
		buf := make([]heapItem, max(16, 2*len(r.buf)))
		for i := range r.n {
			buf[i] = *r.at(i)
		}
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = it
	r.n++
}

// at returns the i-th item from the head; 0 <= i < r.n.
func (r *itemRing) at(i int) *heapItem { return &r.buf[(r.head+i)&(len(r.buf)-1)] }

// first returns the head; r.n > 0.
func (r *itemRing) first() *heapItem { return &r.buf[r.head] }

// last returns the tail; r.n > 0.
func (r *itemRing) last() *heapItem { return r.at(r.n - 1) }

// pop removes and returns the head; r.n > 0.
func (r *itemRing) pop() heapItem {
	it := r.buf[r.head]
	r.buf[r.head] = heapItem{} // drop the references
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return it
}
