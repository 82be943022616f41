// Package node is sipfleet's composition root: from a loaded config it
// builds the roles the file asks for, their shared management listener
// and metrics registry, and runs them until the context ends. It is the
// only package that names the concrete implementations; the roles never
// import each other.
package node
