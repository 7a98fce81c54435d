// Package deploy holds the tests of ecbench's observability stack; it has no
// code of its own. The files it proves sit beside it:
//
//   - grafana/: provisioning (a Prometheus and a CloudWatch datasource with
//     fixed uids, a read-only file dashboard provider) and the dashboards as
//     JSON, which name their datasources through datasource variables.
//   - prometheus/: the Prometheus config, the recording rules and alerts, and
//     their promtool unit tests.
//   - compose/: the Compose stack (redis, valkey, ecbench built from the
//     repo's Dockerfile, prometheus, grafana), ecbench's configs for it, and
//     an override file for ElastiCache endpoints.
//
// The tests load the Compose files with the compose-spec loader, run promtool
// on the config and rules, lint the dashboards against ecbench's exposition
// and against the conventions of Grafana's dashboard linter (datasource, job
// and instance variables, units, descriptions, rate windows; a small PromQL
// scanner, promql_test.go, finds the selectors), require every series of the
// README's metrics table to be shown somewhere, check the Dockerfile without
// Docker, and run a real Prometheus scraping two real ecbench generators that
// drive real redis-server and valkey-server processes (stalled, killed,
// restarted and demoted during the run) and poll a fake CloudWatch endpoint,
// with every Prometheus query of every dashboard and every recording rule
// required to return data and the alerts required to say what happened.
package deploy
