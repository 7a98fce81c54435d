// Package cloudformation holds ecbench.yaml, the CloudFormation template that
// deploys a Redis OSS and a Valkey replication group of the same shape and
// the EC2 generators that drive ecbench against both, and the tests that
// check it. It has no Go API.
//
// The tests read the template with goformation's YAML reader (which turns
// the short forms such as !Ref and !Sub into their long forms), check every
// reference in it, then render it for many parameter sets the way
// CloudFormation would (rules, conditions, intrinsic functions, with sample
// values for what only exists once deployed) and parse each result with
// goformation's typed resources, which refuses unknown properties and wrong
// types. The rendered user data is run through bash -n, and the
// configuration files it writes through the checkers of ecbench, Prometheus
// and systemd.
package cloudformation
