import { describeTestEnvironmentSuite } from "@stepline/testing";
import { lmdbStore } from "./lmdb-store.js";

// The virtual clock on LMDB: real commits, each store call awaited before time moves
// (the issue this environment fixed: a 50-hour wait moved by 120 hours on LMDB).
describeTestEnvironmentSuite("lmdbStore", lmdbStore);
