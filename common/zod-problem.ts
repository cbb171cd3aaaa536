/** A zod failure as one line naming where and the field at fault (`query.limit: …`, `work job j1.consumer.test: …`). */
import type { z } from 'zod';

export function zodProblem(where: string, error: z.ZodError): string {
  const issue = error.issues[0];
  return `${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`;
}
