/**
 * The parts of GitHub's and GitLab's webhook payloads that matter here, as zod schemas. Payloads carry
 * far more; objects are loose so new fields never break parsing. A missing field is reported by path.
 */
import { z } from 'zod';

const Url = z.string().max(2000);

export const GithubRepository = z.looseObject({
  full_name: z.string().min(1).max(300),
  clone_url: Url.optional(),
  html_url: Url.optional(),
  ssh_url: Url.optional(),
  git_url: Url.optional(),
});

/** `create`: a branch or tag was created. No commit id: the tag is resolved in the repository. */
export const GithubCreate = z.looseObject({
  ref: z.string().min(1).max(300),
  ref_type: z.string().min(1),
  repository: GithubRepository,
});

/** `push`: also sent for tags (`refs/tags/...`); `deleted` when the tag was removed. */
export const GithubPush = z.looseObject({
  ref: z.string().min(1).max(300),
  after: z.string().optional(),
  deleted: z.boolean().optional(),
  head_commit: z.looseObject({ id: z.string() }).nullable().optional(),
  repository: GithubRepository,
});

export const GithubRelease = z.looseObject({
  action: z.string().min(1),
  release: z.looseObject({ tag_name: z.string().min(1).max(300), draft: z.boolean().optional() }),
  repository: GithubRepository,
});

/** GitLab `Tag Push Hook`; `checkout_sha` is null when the tag was deleted. */
export const GitlabTagPush = z.looseObject({
  object_kind: z.string().min(1),
  ref: z.string().min(1).max(300),
  checkout_sha: z.string().nullable(),
  project_id: z.number().int().optional(),
  project: z.looseObject({
    id: z.number().int().optional(),
    path_with_namespace: z.string().min(1).max(300),
    git_http_url: Url.optional(),
    git_ssh_url: Url.optional(),
    web_url: Url.optional(),
    http_url: Url.optional(),
    ssh_url: Url.optional(),
    url: Url.optional(),
  }),
});

const Sha = z.string().regex(/^[0-9a-f]{40,64}$/, 'must be a commit id');
const Label = z.looseObject({ name: z.string() });

/** `pull_request`: the head commit, the target branch and where the head lives (a fork or not). */
export const GithubPullRequest = z.looseObject({
  action: z.string().min(1),
  number: z.number().int().positive(),
  label: Label.optional(),
  pull_request: z.looseObject({
    head: z.looseObject({ sha: Sha, repo: z.looseObject({ full_name: z.string() }).nullable() }),
    base: z.looseObject({ ref: z.string().min(1).max(300), repo: z.looseObject({ full_name: z.string() }) }),
    labels: z.array(Label).optional(),
  }),
  repository: GithubRepository,
});

/** GitLab `Merge Request Hook`; `oldrev` is there when the update pushed commits. */
export const GitlabMergeRequest = z.looseObject({
  object_kind: z.literal('merge_request'),
  project: GitlabTagPush.shape.project,
  object_attributes: z.looseObject({
    iid: z.number().int().positive(),
    action: z.string().optional(),
    oldrev: z.string().optional(),
    target_branch: z.string().min(1).max(300),
    source_project_id: z.number().int(),
    target_project_id: z.number().int(),
    last_commit: z.looseObject({ id: Sha }),
  }),
  labels: z.array(z.looseObject({ title: z.string() })).optional(),
  changes: z.looseObject({ labels: z.looseObject({ previous: z.array(z.looseObject({ title: z.string() })), current: z.array(z.looseObject({ title: z.string() })) }).optional() }).optional(),
});

/** `issue_comment`: on a pull request when `issue.pull_request` is there. */
export const GithubIssueComment = z.looseObject({
  action: z.string().min(1),
  issue: z.looseObject({ number: z.number().int().positive(), pull_request: z.looseObject({}).optional() }),
  comment: z.looseObject({ body: z.string().max(65536), author_association: z.string().optional(), user: z.looseObject({ login: z.string().min(1) }) }),
  repository: GithubRepository.extend({ default_branch: z.string().optional() }),
});

/** GitLab `Note Hook` on a merge request. */
export const GitlabNote = z.looseObject({
  object_kind: z.literal('note'),
  user: z.looseObject({ id: z.number().int().optional(), username: z.string().min(1) }),
  project: GitlabTagPush.shape.project.extend({ default_branch: z.string().optional() }),
  object_attributes: z.looseObject({ note: z.string().max(1_000_000), noteable_type: z.string(), author_id: z.number().int() }),
  merge_request: z.looseObject({ iid: z.number().int().positive(), target_branch: z.string().optional() }).optional(),
});

export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

/** Parses or throws a PayloadError naming the first bad field: `body.repository.full_name is required`. */
export function parsePayload<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = ['body', ...issue.path.map(String)].join('.');
  const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
  throw new PayloadError(missing ? `${where} is required` : `${where}: ${issue.message}`);
}
