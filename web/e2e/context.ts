import { inject } from "vitest";
import { makeApi } from "../src/testing/api";

export const baseUrl = () => inject("baseUrl");
export const api = () => makeApi(baseUrl());
