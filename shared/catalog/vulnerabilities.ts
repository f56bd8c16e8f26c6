import { compareMavenVersions } from '../jar/maven-version';
import data from './vulnerable-libraries.json';

/** One known vulnerability of a Maven module, with the versions it affects. */
export interface VulnerableLibrary {
  groupId: string;
  artifactId: string;
  cve: string;
  summary: string;
  fixedIn: string;
  /** `introduced <= version < fixed`, Maven ordering; `introduced: "0"` means every earlier version. */
  ranges: Array<{ introduced: string; fixed: string }>;
}

/** The list shipped in `vulnerable-libraries.json`. */
export const VULNERABLE_LIBRARIES: readonly VulnerableLibrary[] = data.libraries;

/** The vulnerabilities affecting `groupId:artifactId:version`, in list order. */
export function vulnerabilitiesOf(
  module: { groupId: string; artifactId: string; version: string },
  list: readonly VulnerableLibrary[] = VULNERABLE_LIBRARIES,
): VulnerableLibrary[] {
  return list.filter(
    (v) =>
      v.groupId === module.groupId &&
      v.artifactId === module.artifactId &&
      v.ranges.some(
        (r) =>
          (r.introduced === '0' || compareMavenVersions(module.version, r.introduced) >= 0) &&
          compareMavenVersions(module.version, r.fixed) < 0,
      ),
  );
}
