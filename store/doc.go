// Package store keeps the control plane's state in etcd: an embedded
// single member that zund runs itself (the default, data in
// <data-dir>/etcd), or an external cluster given by its endpoints, shared
// by several API servers.
//
// Values are JSON documents carrying a schema version, under one key
// prefix (default /zun):
//
//	/zun/containers/<uuid>                          container record
//	/zun/container-actions/<uuid>/<request id>      an action and its events
//	/zun/container-names/project/<project>/<name>   name uniqueness (see NameScope)
//	/zun/container-names/global/<name>
//
// Writes are etcd transactions: compare-and-swap on the revision a record
// was read at, and every key an operation touches (a record, its name,
// its actions) changes in one transaction or not at all. Lists never scan
// etcd: each store keeps an in-memory index fed by an etcd watch, so it
// sees the writes of every process sharing the etcd within milliseconds,
// and its own at once.
//
// For operators:
//   - Back up the embedded member with
//     `etcdctl --endpoints unix://<data-dir>/etcd.sock snapshot save FILE`;
//     its own log is <data-dir>/etcd.log.
//   - The embedded member keeps an hour of history (Config.
//     CompactionRetention); an external cluster should run with
//     --auto-compaction-retention.
//   - A crash loses nothing acknowledged: reopening the data dir replays
//     etcd's write-ahead log.
//
// This package is storage: keys and typed values (Get, List, Update,
// Records), transactions (Txn, Backoff), watches (Watch), leases (Grant,
// PutLeased) and the election (Campaign). Domain rules live with their
// domains, whose stores build on it: quota.EtcdStore, host.EtcdStore,
// volume.EtcdStore, network.EtcdStore, registry.EtcdStore,
// images.EtcdStore, glance.EtcdStore. ContainerStore
// keeps the container records; the stores whose records change with a
// container's (a project's usage, a host's claims, volumes, ports) join its
// transactions as Participants, registered explicitly with Join.
package store
