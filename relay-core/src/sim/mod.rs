//! A sans-IO fake RELAY service for tests and the local simulator.
