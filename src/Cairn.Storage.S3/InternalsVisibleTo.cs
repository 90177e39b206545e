using System.Runtime.CompilerServices;

// Unit tests check the mapping of S3 error codes that s3rver never produces (SignatureDoesNotMatch, SlowDown, …).
[assembly: InternalsVisibleTo("Cairn.Tests")]
