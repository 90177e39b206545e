using System.Runtime.CompilerServices;

// The golden key-file test needs the deterministic KeyFile.Create overload (fixed salt and nonce), which must not be
// public: a caller reusing a nonce under one password-derived key would break AES-GCM.
[assembly: InternalsVisibleTo("Cairn.Tests")]
