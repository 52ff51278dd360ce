// Command kvdrt is the Go leg of the cross-language round trip
// (clients/SCENARIO.md): one call to kvd, values in hex.
//
//	kvdrt [-store NAME] set KEY HEX_VALUE   prints "ok"
//	kvdrt [-store NAME] get KEY             prints the value in lowercase hex
//	kvdrt [-store NAME] exists KEY          prints "true" or "false"
//	kvdrt [-store NAME] delete KEY          prints "ok"
//	kvdrt [-store NAME] incr KEY [DELTA]    adds DELTA (default 1) to the
//	                                        counter; prints its new value
//
// kvd's address is $KVD_ADDR ("host:port" or "unix:/path"), else
// 127.0.0.1:50051. Exit status: 0 success (exists: true), 1 failure (exists:
// false, missing key, any error; printed on stderr), 2 bad usage.
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/kvd-project/kvd/clients/go/kvd"
)

func main() {
	os.Exit(run())
}

func usage() int {
	fmt.Fprintln(os.Stderr, "usage: kvdrt [-store NAME] set KEY HEX_VALUE | get KEY | exists KEY | delete KEY | incr KEY [DELTA]")
	return 2
}

func run() int {
	storeName := flag.String("store", kvd.DefaultStore, "the store to open")
	flag.Usage = func() { usage() }
	flag.Parse()
	args := flag.Args()
	if len(args) < 2 {
		return usage()
	}
	cmd, key := args[0], args[1]
	want := map[string]int{"set": 3, "get": 2, "exists": 2, "delete": 2, "incr": 2}[cmd]
	if want == 0 || (len(args) != want && !(cmd == "incr" && len(args) == 3)) {
		return usage()
	}
	var value []byte
	if cmd == "set" {
		var err error
		if value, err = hex.DecodeString(args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "kvdrt: HEX_VALUE: %v\n", err)
			return 2
		}
	}
	delta := int64(1)
	if cmd == "incr" && len(args) == 3 {
		var err error
		if delta, err = strconv.ParseInt(args[2], 10, 64); err != nil {
			fmt.Fprintf(os.Stderr, "kvdrt: DELTA: %v\n", err)
			return 2
		}
	}

	ctx := context.Background()
	store, err := kvd.Open(ctx, *storeName, kvd.WithTimeout(30*time.Second))
	if err != nil {
		fmt.Fprintf(os.Stderr, "kvdrt: %v\n", err)
		return 1
	}
	defer store.Close()

	switch cmd {
	case "set":
		err = store.Set(ctx, key, value)
		if err == nil {
			fmt.Println("ok")
		}
	case "get":
		var v []byte
		if v, err = store.Get(ctx, key); err == nil {
			fmt.Println(hex.EncodeToString(v))
		}
	case "exists":
		var ok bool
		if ok, err = store.Exists(ctx, key); err == nil {
			fmt.Println(ok)
			if !ok {
				return 1
			}
		}
	case "delete":
		err = store.Delete(ctx, key)
		if err == nil {
			fmt.Println("ok")
		}
	case "incr":
		var c kvd.Counter
		if c, err = store.Increment(ctx, key, delta); err == nil {
			fmt.Println(c.Value)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kvdrt: %v\n", err)
		return 1
	}
	return 0
}
