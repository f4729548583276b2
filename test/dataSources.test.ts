// Every figure in data/ cites a primary source (the vendor's page, datasheet, API or a paper) or is marked
// an estimate. These secondary sites were once cited and were replaced (issue 18); none may come back.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SECONDARY_DOMAINS = [
  "sibshop.uat.jiralog.com",
  "dailytelegraphnewstoday.com",
  "awesomeagents.ai",
  "aiwiki.ai",
  "buzzbytech.com",
  "sipoch.com",
];

function jsonFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsonFilesUnder(join(dir, e.name)) : e.name.endsWith(".json") ? [join(dir, e.name)] : [],
  );
}

describe("data sources", () => {
  const files = jsonFilesUnder("data");

  it("data/ holds the catalog files the check reads", () => {
    expect(files).toContain(join("data", "chips.json"));
    expect(files).toContain(join("data", "prices.json"));
    expect(files).toContain(join("data", "claims.json"));
  });

  it("no file in data/ cites a secondary site", () => {
    const hits: string[] = [];
    for (const file of files) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const domain of SECONDARY_DOMAINS) if (line.includes(domain)) hits.push(`${file}:${i + 1}: ${domain}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
