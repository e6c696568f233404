import assert from "node:assert/strict";
import { test } from "node:test";

import { bootConfig } from "../../../web/worker/boot-config.js";

const BOOT = {
  indexURL: "http://x/p/", lockFileURL: "http://x/p/lock.json", packages: ["anywidget"], kernelBundle: "http://x/k.zip",
  snapshot: { url: "http://x/p/snapshot.bin.gz", size: 10, packURL: "http://x/p/site-packages.pack", sitePackages: "/lib/site" },
};

test("the host's boot config is used as given", () => {
  assert.equal(bootConfig(BOOT, "http://x/page?a=1"), BOOT);
  assert.equal(bootConfig(BOOT, "about:blank"), BOOT);
});

test("?fh-anywidget-snapshot=off boots without the snapshot and says why", () => {
  const boot = bootConfig(BOOT, "http://x/page?fh-anywidget-snapshot=off");
  assert.equal(boot.snapshot, null);
  assert.match(boot.snapshotProblem ?? "", /turned off by the page URL/);
  assert.equal(BOOT.snapshot.size, 10); // the original is left alone
});
