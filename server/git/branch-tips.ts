/**
 * A branch's tip, shared by the jobs of one repository and branch (and credentials) that
 * were waiting before the lookup began. A project's jobs resolve one at a time per
 * repository (spec-resolver.ts), each asking the repository where its branch stands
 * (`git ls-remote`, or a fetch): a burst of twenty triggers of one branch resolved twenty
 * times over, in turn — ~70 ms each on a 2-core machine busy with their builds. Now a
 * lookup that started after a job was taken into the resolver answers that job too: a
 * push the repository had before the job's trigger is still always seen, and the
 * credentials are part of the key (digested: no secret is kept), so one project's answer
 * never stands in for another's access check. Only plain branch refs are shared; a
 * commit, a refspec or a pull request asks the mirrors as before.
 */
import { credentialsDigest, type GitCredentials } from '../../common/git/credentials-env.ts';
import { AnswersSince } from '../util/answers-since.ts';
import type { Mirrors } from './mirror-host-protocol.ts';
import type { RefRequest } from './repo-mirror.ts';

export class BranchTips {
  readonly #answers = new AnswersSince<{ sha: string }>();

  constructor(private readonly mirrors: Mirrors) {}

  /** The mirrors as a job taken into the resolver at `takenAt` (`performance.now()`) sees them. */
  forJobTakenAt(takenAt: number): Mirrors {
    const { mirrors } = this;
    const answers = this.#answers;
    return {
      resolve(repoUrl: string, ref: RefRequest, credentials?: GitCredentials) {
        if (!ref.branch || ref.sha || ref.refspec) return mirrors.resolve(repoUrl, ref, credentials);
        const key = `${repoUrl}\n${ref.branch}\n${credentialsDigest(credentials)}`;
        return answers.get(key, takenAt, () => mirrors.resolve(repoUrl, ref, credentials));
      },
      parents: (repoUrl, sha) => mirrors.parents(repoUrl, sha),
      readFile: (repoUrl, sha, file) => mirrors.readFile(repoUrl, sha, file),
      remove: (repoUrl) => mirrors.remove(repoUrl),
    };
  }
}
