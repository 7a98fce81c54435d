// Package systemd holds ecbench.service, the systemd unit that runs
// `ecbench run` as a hardened, sd_notify-aware service, and the tests that
// check it with systemd-analyze. It has no Go API.
package systemd
