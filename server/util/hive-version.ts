/** This Hive's version, from its package.json (the same file in a clone and in the installed package). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './tsx-loader.ts';

export const hiveVersion: string = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;
