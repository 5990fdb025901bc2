// Command hello is the baseline of BenchmarkHostsyncKeysProcess: a static
// Go binary that prints one line, to compare hostsync-keys's process
// start-up with.
package main

import "os"

func main() { os.Stdout.WriteString("hello, world\n") }
