/** The embedded database could not be created or opened: the queen (or tool) says where and why in one line. */
import { HiveError } from '../errors.ts';

export class EmbeddedDatabaseError extends HiveError {
  override readonly code = 'embedded_database_unusable';
}
