// Output helpers shared by the commands: results go to stdout as tables or JSON.
import { builtinCatalog } from "../engine/catalog/builtin.js";
import type { Catalog } from "../engine/catalog/catalog.js";
import { extendCatalog } from "../node/userCatalog.js";

export const print = (text: string) => process.stdout.write(text.endsWith("\n") ? text : text + "\n");
export const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

/** The built-in catalog, extended with the user's --catalog files. */
export function catalogFrom(files: string[] | undefined): Catalog {
  return files?.length ? extendCatalog(builtinCatalog(), files) : builtinCatalog();
}
