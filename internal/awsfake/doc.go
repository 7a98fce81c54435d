// Package awsfake is a fake AWS endpoint for tests: one HTTP server that
// answers CloudWatch GetMetricData and ElastiCache DescribeReplicationGroups,
// DescribeCacheClusters and TestFailover in the wire protocols the pinned SDK
// speaks, so tests drive the real aws-sdk-go-v2 clients (or a real ecbench
// process) rather than a mock of them.
//
//   - CloudWatch (service/cloudwatch v1.75.6): Smithy RPC v2 CBOR.
//     POST /service/GraniteServiceVersion20100801/operation/GetMetricData,
//     headers Smithy-Protocol: rpc-v2-cbor, Content-Type and Accept
//     application/cbor, X-Amzn-Query-Mode: true (CloudWatch is
//     awsQueryCompatible). Timestamps are CBOR tag 1 over float64 epoch
//     seconds. Errors are non-2xx with a CBOR map {__type, message}; the
//     X-Amzn-Query-Error header ("Code;Sender") overrides the code.
//   - ElastiCache (service/elasticache v1.64.5): AWS Query. POST / with a
//     form body (Action, Version=2015-02-02, parameters); XML answers
//     <ActionResponse><ActionResult>…; errors <ErrorResponse><Error><Code>.
//
// The fake is strict: a request body it cannot decode field by field, a
// missing protocol header, or a request not signed with SigV4 by
// AccessKeyID/SecretAccessKey for Region and the service's signing name fails
// the test that owns the server (and is answered with an error).
//
// In-process tests take SDK clients from [Server.Clients]. A separate process
// (a real ecbench binary) is pointed at the fake through the standard AWS
// environment variables that [Server.Env] returns; aws-sdk-go-v2/config
// (v1.33.18) reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE ID> (here
// AWS_ENDPOINT_URL_CLOUDWATCH and AWS_ENDPOINT_URL_ELASTICACHE), the static
// credentials and the region from the environment in LoadDefaultConfig.
package awsfake
