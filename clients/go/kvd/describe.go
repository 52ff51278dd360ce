package kvd

import (
	"context"
	"fmt"
	"strings"
	"time"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"google.golang.org/grpc"
)

// Durability says what a store's acknowledged write survives. Its values are
// those of kv.v1.Durability; String drops the DURABILITY_ prefix ("DISK").
type Durability kvv1.Durability

// The durabilities, weakest first.
const (
	// DurabilityUnspecified: the driver cannot tell (it depends on how its
	// server is configured: Redis, PostgreSQL).
	DurabilityUnspecified = Durability(kvv1.Durability_DURABILITY_UNSPECIFIED)
	// DurabilityNone: nothing; the data is gone when kvd exits (memory).
	DurabilityNone = Durability(kvv1.Durability_DURABILITY_NONE)
	// DurabilityProcess: kvd exiting or crashing, not a power loss (SQLite
	// with durability "os").
	DurabilityProcess = Durability(kvv1.Durability_DURABILITY_PROCESS)
	// DurabilityDisk: a power loss (SQLite with durability "fsync").
	DurabilityDisk = Durability(kvv1.Durability_DURABILITY_DISK)
)

// String returns the name without the proto's prefix ("DISK"), or
// "Durability(N)" for a value this client does not know.
func (d Durability) String() string {
	return enumName(kvv1.Durability_name, int32(d), "DURABILITY_", "Durability")
}

// Capability is something a store can do beyond Spin's seven operations.
// Its values are those of kv.v1.Capability; String drops the CAPABILITY_
// prefix ("INCREMENT").
type Capability kvv1.Capability

// The capabilities kvd reports. Check for one (Description.Has) rather than
// guessing from the server's version.
const (
	// CapabilityRevisions: reads return revisions; writes return theirs.
	CapabilityRevisions = Capability(kvv1.Capability_CAPABILITY_REVISIONS)
	// CapabilityConditionalWrites: writes accept a Condition.
	CapabilityConditionalWrites = Capability(kvv1.Capability_CAPABILITY_CONDITIONAL_WRITES)
	// CapabilityIncrement: Increment.
	CapabilityIncrement = Capability(kvv1.Capability_CAPABILITY_INCREMENT)
	// CapabilityAtomicBatches: GetMany reads one snapshot; SetMany and
	// DeleteMany are all-or-nothing.
	CapabilityAtomicBatches = Capability(kvv1.Capability_CAPABILITY_ATOMIC_BATCHES)
	// CapabilityTTL: SetWithTTL and a Write's TTL; reads report ExpireTime.
	CapabilityTTL = Capability(kvv1.Capability_CAPABILITY_TTL)
	// CapabilityListPages: ListKeys and ListKeysPage (paged, by prefix).
	CapabilityListPages = Capability(kvv1.Capability_CAPABILITY_LIST_PAGES)
)

// String returns the name without the proto's prefix ("INCREMENT"), or
// "Capability(N)" for a value this client does not know.
func (c Capability) String() string {
	return enumName(kvv1.Capability_name, int32(c), "CAPABILITY_", "Capability")
}

// Limits are the sizes a request to the store must keep to, in bytes,
// entries, time and keys.
type Limits struct {
	MaxKeyBytes     uint64        // longest key
	MaxValueBytes   uint64        // largest value
	MaxBatchEntries uint64        // most keys in one GetMany, SetMany or DeleteMany
	MaxBatchBytes   uint64        // most key and value bytes in one batch request or GetMany response
	MaxTTL          time.Duration // longest TTL a write may give; 0 if kvd does not say (no CapabilityTTL)
	MaxPageSize     uint32        // most keys in one ListKeys page (a larger page size is lowered to it)
}

// Description is what Describe tells about a store.
type Description struct {
	// Name is the store's name, as passed to Open.
	Name string
	// Driver is the driver type of kvd's runtime config: "sqlite",
	// "memory", "redis", "postgres".
	Driver string
	// Durability is what an acknowledged write survives.
	Durability Durability
	// Limits are the sizes requests must keep to.
	Limits Limits
	// Revision is the store's current revision: the highest any write has
	// been given (0 for a store never written). Any later write gets a
	// higher one.
	Revision uint64
	// Capabilities are what the store can do beyond Spin's seven operations.
	Capabilities []Capability
	// ReadOnly says the store was opened through a read-only grant: every
	// write fails with ErrAccessDenied.
	ReadOnly bool
}

// Has reports whether the store has capability c.
func (d *Description) Has(c Capability) bool {
	for _, have := range d.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// Describe tells what the store is and can do: its driver, durability,
// limits, current revision and capabilities.
func (s *Store) Describe(ctx context.Context) (*Description, error) {
	var resp *kvv1.DescribeResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.Describe(ctx, &kvv1.DescribeRequest{Store: s.handle}, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	l := resp.GetLimits()
	d := &Description{
		Name:       resp.GetName(),
		Driver:     resp.GetDriver(),
		Durability: Durability(resp.GetDurability()),
		Limits: Limits{
			MaxKeyBytes:     l.GetMaxKeyBytes(),
			MaxValueBytes:   l.GetMaxValueBytes(),
			MaxBatchEntries: l.GetMaxBatchEntries(),
			MaxBatchBytes:   l.GetMaxBatchBytes(),
			MaxTTL:          duration(l.GetMaxTtl()),
			MaxPageSize:     l.GetMaxPageSize(),
		},
		Revision: resp.GetRevision(),
		ReadOnly: resp.GetReadOnly(),
	}
	for _, c := range resp.GetCapabilities() {
		d.Capabilities = append(d.Capabilities, Capability(c))
	}
	return d, nil
}

// enumName returns the proto name of value n without prefix, or "type(N)".
func enumName(names map[int32]string, n int32, prefix, typ string) string {
	name, ok := names[n]
	if !ok {
		return fmt.Sprintf("%s(%d)", typ, n)
	}
	return strings.TrimPrefix(name, prefix)
}
