package hashing

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// receive returns once ch yields, failing the test instead of hanging it
// when something is broken.
func receive(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("gave up waiting for a hash computation")
	}
}

// send is receive's counterpart.
func send(t *testing.T, ch chan<- struct{}) {
	t.Helper()
	select {
	case ch <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("gave up waiting for a hash computation")
	}
}

func TestWaitingForSlotHonoursContext(t *testing.T) {
	p := tinyParams()
	p.MaxConcurrent = 1
	h := newHasher(t, p)
	encoded, err := h.Hash(context.Background(), "pw")
	require.NoError(t, err)
	bcryptEncoded := bcryptHash(t, "pw")

	// Hold the only slot with a Hash that waits inside its computation.
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	h.wrapCompute = func(compute func()) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		compute()
	}
	holderDone := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "holder")
		holderDone <- err
	}()
	receive(t, entered)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func(ctx context.Context) error{
		"Hash": func(ctx context.Context) error {
			_, err := h.Hash(ctx, "pw")
			return err
		},
		"Verify argon2id": func(ctx context.Context) error {
			_, err := h.Verify(ctx, "pw", encoded)
			return err
		},
		"Verify bcrypt": func(ctx context.Context) error {
			_, err := h.Verify(ctx, "pw", bcryptEncoded)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+" cancelled before", func(t *testing.T) {
			assert.ErrorIs(t, call(cancelled), context.Canceled)
		})
		t.Run(name+" cancelled while waiting", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- call(ctx) }()
			cancel()
			assert.ErrorIs(t, <-done, context.Canceled)
		})
	}

	t.Run("malformed hash fails before waiting", func(t *testing.T) {
		_, err := h.Verify(cancelled, "pw", "garbage")
		assert.ErrorIs(t, err, ErrMalformedHash)
	})

	close(release)
	require.NoError(t, <-holderDone)

	t.Run("slot free again", func(t *testing.T) {
		ok, err := h.Verify(context.Background(), "pw", encoded)
		require.NoError(t, err)
		assert.True(t, ok)
	})
	t.Run("ended context wins over a free slot", func(t *testing.T) {
		for name, call := range calls {
			assert.ErrorIs(t, call(cancelled), context.Canceled, name)
		}
	})
}

func TestMaxConcurrentComputations(t *testing.T) {
	const (
		limit = 3
		calls = 15
	)
	p := tinyParams()
	p.MaxConcurrent = limit
	h := newHasher(t, p)
	encoded, err := h.Hash(context.Background(), "pw")
	require.NoError(t, err)
	bcryptEncoded := bcryptHash(t, "pw")

	// Each computation announces itself and then waits for the test to let
	// it run, so the test decides when slots free up.
	var inFlight, peak atomic.Int64
	entered := make(chan struct{}, calls)
	release := make(chan struct{})
	h.wrapCompute = func(compute func()) {
		n := inFlight.Add(1)
		for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); {
			old = peak.Load()
		}
		entered <- struct{}{}
		<-release
		compute()
		inFlight.Add(-1)
	}

	var wg sync.WaitGroup
	results := make([]bool, calls)
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() {
			ctx := context.Background()
			switch i % 3 {
			case 0:
				_, errs[i] = h.Hash(ctx, "pw")
				results[i] = errs[i] == nil
			case 1:
				results[i], errs[i] = h.Verify(ctx, "pw", encoded)
			case 2:
				results[i], errs[i] = h.Verify(ctx, "pw", bcryptEncoded)
			}
		})
	}

	// Fill every slot, then free one at a time: each time exactly one
	// waiter may take the freed slot.
	for range limit {
		receive(t, entered)
	}
	assert.EqualValues(t, limit, inFlight.Load())
	for range calls - limit {
		send(t, release)
		receive(t, entered)
		assert.EqualValues(t, limit, inFlight.Load())
	}
	for range limit {
		send(t, release)
	}
	wg.Wait()

	assert.EqualValues(t, limit, peak.Load(), "peak computations in flight")
	assert.Zero(t, inFlight.Load())
	assert.Empty(t, h.sem, "slots left taken")
	for i := range calls {
		assert.NoError(t, errs[i], "call %d", i)
		assert.True(t, results[i], "call %d", i)
	}
}
