#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from '../lib/stacks/example-app';

buildExampleApp(new App());
