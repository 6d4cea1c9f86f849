/** The peer the event store is measured against; the version is pinned exactly in test/package.json. */
export const PEER = 'emmett-postgresql 0.42.0'
