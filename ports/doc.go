// Package ports declares the interfaces through which the use cases reach
// the world: storage, hashing, tokens, time, randomness and mail.
//
// A port is owned by the application and named for its role; each adapter
// asserts at compile time that it satisfies the port it implements.
package ports
