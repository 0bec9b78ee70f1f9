// Package passhash is the one place that knows what an SMTP AUTH password
// hash looks like: config validation, the SMTP server and the CLI that
// makes hashes all ask it, so the three can never disagree.
//
// Accepted forms:
//
//   - bcrypt: "$2a$", "$2b$" or "$2y$", exactly 60 characters, a cost
//     bcrypt itself accepts;
//   - argon2id: a PHC string "$argon2id$v=19$m=M,t=T,p=P$salt$hash" with
//     M, T, P > 0, P <= 255, a non-empty salt and a key of at least 16
//     bytes, both unpadded standard base64.
//
// Guarantees: Parse refuses anything else (a plain password above all);
// Verify compares in constant time for argon2id (bcrypt does its own);
// New makes bcrypt hashes only. It imports nothing of sealgate's.
package passhash
